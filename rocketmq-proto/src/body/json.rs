//! Shared JSON helpers for the bodies: null-tolerant fields, errors, serialization.

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::BodyError;

/// Deserializes a field that may be `null`: `null` becomes `T::default()`.
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Serializes `value` as compact JSON.
///
/// The bodies have only string and integer map keys, so serialization cannot fail;
/// an empty string would be returned if it ever did.
pub(crate) fn to_string<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Deserializes `bytes` as `T`, naming the body `what` in the error.
///
/// Every body is a JSON object: anything else (`[]`, which `serde` would accept for a
/// struct whose fields all have defaults) is an error.
pub(crate) fn from_slice<'a, T: Deserialize<'a>>(
    bytes: &'a [u8],
    what: &'static str,
) -> Result<T, BodyError> {
    let first = bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first.is_some_and(|&b| b != b'{') {
        return Err(error(what, "expected a JSON object"));
    }
    serde_json::from_slice(bytes).map_err(|e| error(what, e))
}

/// Builds a [`BodyError::Json`].
pub(crate) fn error(what: &'static str, message: impl ToString) -> BodyError {
    BodyError::Json {
        what,
        message: message.to_string(),
    }
}
