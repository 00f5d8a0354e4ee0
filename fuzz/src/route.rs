//! `route_json`: `TopicRouteData` JSON (standard and fastjson's legacy bare-integer keys).

use rocketmq_proto::body::TopicRouteData;

/// Properties:
///
/// - `TopicRouteData::from_json` never panics on any bytes;
/// - if it succeeds, `to_json` → `from_json` gives an equal value, and `to_json` of that
///   value is the same text (the encoding is a fixed point);
/// - `normalized()` is idempotent and survives the same round trip.
pub fn route_json(data: &[u8]) {
    let Ok(route) = TopicRouteData::from_json(data) else {
        return;
    };
    let json = route.to_json();
    assert!(!json.is_empty(), "to_json produced nothing for {route:?}");
    let back = TopicRouteData::from_json(json.as_bytes())
        .unwrap_or_else(|e| panic!("to_json output does not decode: {e}\n{json}"));
    assert_eq!(back, route, "JSON round trip changed the route\n{json}");
    assert_eq!(back.to_json(), json, "to_json is not a fixed point");

    let norm = route.normalized();
    assert_eq!(norm.normalized(), norm, "normalized() is not idempotent");
    let norm_back = TopicRouteData::from_json(norm.to_json().as_bytes())
        .expect("normalized route decodes")
        .normalized();
    assert_eq!(norm_back, norm, "normalized route changed in a round trip");
}
