//! Typed values in `extFields`: parsing and formatting as Java's header codec does.
//!
//! Java flattens a custom header into `extFields` with `toString()` and reads it back
//! with `Integer.parseInt`, `Long.parseLong` and `Boolean.parseBoolean`
//! (`RemotingCommand.decodeCommandCustomHeader`). The helpers here do the same, and the
//! [`ext_header!`] macro builds a header struct from a table of fields.

use crate::error::HeaderError;
use crate::ext_fields::ExtFields;

/// A value carried as one `extFields` string.
pub(crate) trait WireValue: Sized {
    /// The type name reported in [`HeaderError::Invalid`].
    const EXPECTED: &'static str;

    /// Parses the wire string; `None` if it is not a valid value.
    fn parse_wire(s: &str) -> Option<Self>;

    /// Formats the value as Java's `toString()` does.
    fn to_wire(&self) -> String;
}

impl WireValue for String {
    const EXPECTED: &'static str = "string";

    fn parse_wire(s: &str) -> Option<Self> {
        Some(s.to_owned())
    }

    fn to_wire(&self) -> String {
        self.clone()
    }
}

impl WireValue for i32 {
    const EXPECTED: &'static str = "i32";

    fn parse_wire(s: &str) -> Option<Self> {
        s.parse().ok()
    }

    fn to_wire(&self) -> String {
        int_string(i64::from(*self))
    }
}

impl WireValue for i64 {
    const EXPECTED: &'static str = "i64";

    fn parse_wire(s: &str) -> Option<Self> {
        s.parse().ok()
    }

    fn to_wire(&self) -> String {
        int_string(*self)
    }
}

/// Java's `Boolean.parseBoolean`: `"true"` in any letter case is `true`, anything
/// else (including `"yes"`, `"1"` and the empty string) is `false`. It never fails.
impl WireValue for bool {
    const EXPECTED: &'static str = "bool";

    fn parse_wire(s: &str) -> Option<Self> {
        Some(s.eq_ignore_ascii_case("true"))
    }

    fn to_wire(&self) -> String {
        bool_str(*self).to_owned()
    }
}

/// Returns `"true"` or `"false"`.
pub(crate) fn bool_str(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// Formats `v` in decimal.
pub(crate) fn int_string(v: i64) -> String {
    v.to_string()
}

/// Reads an optional field: `Ok(None)` if absent, `Invalid` if it does not parse.
pub(crate) fn optional<T: WireValue>(
    ext: &ExtFields,
    field: &'static str,
) -> Result<Option<T>, HeaderError> {
    parse_optional(ext.get(field), field)
}

/// Parses a field's value found by the caller: `Invalid` if it does not parse.
pub(crate) fn parse_optional<T: WireValue>(
    value: Option<&str>,
    field: &'static str,
) -> Result<Option<T>, HeaderError> {
    match value {
        None => Ok(None),
        Some(v) => T::parse_wire(v)
            .map(Some)
            .ok_or_else(|| HeaderError::Invalid {
                field,
                value: v.to_owned(),
                expected: T::EXPECTED,
            }),
    }
}

/// Reads a required field: `Missing` if absent, `Invalid` if it does not parse.
pub(crate) fn required<T: WireValue>(
    ext: &ExtFields,
    field: &'static str,
) -> Result<T, HeaderError> {
    parse_required(ext.get(field), field)
}

/// Parses a required field's value found by the caller: `Missing` if absent.
pub(crate) fn parse_required<T: WireValue>(
    value: Option<&str>,
    field: &'static str,
) -> Result<T, HeaderError> {
    parse_optional(value, field)?.ok_or(HeaderError::Missing { field })
}

/// A header struct field: a required value `T` or an optional `Option<T>`.
pub(crate) trait HeaderField: Sized {
    /// Writes the field under `key`, unless it is `None`.
    fn put(&self, ext: &mut ExtFields, key: &'static str);

    /// Reads the field from `key`.
    fn take(ext: &ExtFields, key: &'static str) -> Result<Self, HeaderError>;
}

impl<T: WireValue> HeaderField for T {
    fn put(&self, ext: &mut ExtFields, key: &'static str) {
        ext.insert(key, self.to_wire());
    }

    fn take(ext: &ExtFields, key: &'static str) -> Result<Self, HeaderError> {
        required(ext, key)
    }
}

impl<T: WireValue> HeaderField for Option<T> {
    fn put(&self, ext: &mut ExtFields, key: &'static str) {
        if let Some(v) = self {
            ext.insert(key, v.to_wire());
        }
    }

    fn take(ext: &ExtFields, key: &'static str) -> Result<Self, HeaderError> {
        optional(ext, key)
    }
}

/// Defines a header struct from a field table and its `extFields` conversions.
///
/// Each field is `pub name: Type = "wireName"`, optionally followed by `or default`.
/// `Option<T>` fields are optional; plain fields are required (`Missing` when absent)
/// unless they have `or default`, which is used when the key is absent (Java's
/// primitive fields with an initial value). Plain fields are always written.
macro_rules! ext_header {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                pub $field:ident : $ty:ty = $wire:literal $(or $default:expr)?
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[doc = concat!("\n\nWire name: `", $wire, "`.")]
                pub $field: $ty,
            )+
        }

        impl Default for $name {
            fn default() -> Self {
                Self {
                    $( $field: $crate::header::fields::field_default!($($default)?), )+
                }
            }
        }

        impl $name {
            /// Writes every field that is not `None` into `ext` under its Java wire name.
            pub fn to_ext_fields(&self, ext: &mut $crate::ext_fields::ExtFields) {
                $( $crate::header::fields::HeaderField::put(&self.$field, ext, $wire); )+
            }

            /// Reads the header from `ext`; unknown keys are ignored.
            pub fn from_ext_fields(
                ext: &$crate::ext_fields::ExtFields,
            ) -> Result<Self, $crate::error::HeaderError> {
                Ok(Self {
                    $(
                        $field: $crate::header::fields::field_read!(ext, $wire $(, $default)?),
                    )+
                })
            }
        }
    };
}

/// The default of a field: its `or` value, or `Default::default()`.
macro_rules! field_default {
    () => {
        Default::default()
    };
    ($default:expr) => {
        $default
    };
}

/// Reads a field: required/optional by type, or with its `or` value when absent.
macro_rules! field_read {
    ($ext:ident, $wire:literal) => {
        $crate::header::fields::HeaderField::take($ext, $wire)?
    };
    ($ext:ident, $wire:literal, $default:expr) => {
        $crate::header::fields::optional($ext, $wire)?.unwrap_or($default)
    };
}

pub(crate) use {ext_header, field_default, field_read};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_string_matches_to_string() {
        for v in [
            0,
            1,
            -1,
            9,
            10,
            -10,
            123_456,
            i64::MAX,
            i64::MIN,
            i64::from(i32::MIN),
        ] {
            assert_eq!(int_string(v), v.to_string());
        }
    }

    #[test]
    fn bool_parse_is_java_parse_boolean() {
        assert_eq!(bool::parse_wire("TRUE"), Some(true));
        assert_eq!(bool::parse_wire("True"), Some(true));
        assert_eq!(bool::parse_wire("false"), Some(false));
        assert_eq!(bool::parse_wire("yes"), Some(false));
        assert_eq!(bool::parse_wire(""), Some(false));
    }

    #[test]
    fn optional_and_required() {
        let mut ext = ExtFields::new();
        ext.insert("n", "12");
        ext.insert("bad", "1x");
        assert_eq!(required::<i32>(&ext, "n"), Ok(12));
        assert_eq!(optional::<i64>(&ext, "absent"), Ok(None));
        assert_eq!(
            required::<i32>(&ext, "absent"),
            Err(HeaderError::Missing { field: "absent" })
        );
        assert_eq!(
            optional::<i32>(&ext, "bad"),
            Err(HeaderError::Invalid {
                field: "bad",
                value: "1x".into(),
                expected: "i32"
            })
        );
    }
}
