//! Command headers: the two serializations, and typed custom headers over `extFields`.

pub(crate) mod binary;
pub(crate) mod json;
