//! `RemotingCommand`: one request or response, independent of its serialization.

use bytes::Bytes;

use crate::code::{version, LanguageCode, RequestCode, ResponseCode};
use crate::ext_fields::ExtFields;

/// Flag bit 0: the command is a response.
pub const FLAG_RESPONSE: i32 = 1;
/// Flag bit 1: the command is oneway (no response expected).
pub const FLAG_ONEWAY: i32 = 1 << 1;

/// One remoting command: a request, a oneway request or a response.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct RemotingCommand {
    /// Request code for requests, response code for responses.
    pub code: i32,
    /// Sender's language (informational).
    pub language: LanguageCode,
    /// Sender's `MQVersion` ordinal.
    pub version: i32,
    /// Request id; a response echoes its request's.
    pub opaque: i32,
    /// Bit 0 response, bit 1 oneway.
    pub flag: i32,
    /// Error text of responses; an empty remark is the same as none.
    pub remark: Option<String>,
    /// Custom-header fields.
    pub ext_fields: ExtFields,
    /// Body bytes; a zero-copy slice of the received frame when decoded.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = arbitrary_bytes))]
    pub body: Bytes,
}

#[cfg(feature = "arbitrary")]
fn arbitrary_bytes(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<Bytes> {
    let v: Vec<u8> = u.arbitrary()?;
    Ok(Bytes::from(v))
}

impl RemotingCommand {
    /// Creates a request with this crate's language and version and opaque 0.
    pub fn request(code: RequestCode) -> Self {
        Self {
            code: code.0,
            language: LanguageCode::RUST,
            version: version::CURRENT,
            opaque: 0,
            flag: 0,
            remark: None,
            ext_fields: ExtFields::new(),
            body: Bytes::new(),
        }
    }

    /// Creates a oneway request.
    pub fn oneway(code: RequestCode) -> Self {
        let mut c = Self::request(code);
        c.flag |= FLAG_ONEWAY;
        c
    }

    /// Creates a response with `code` and `remark` to a request with `opaque`.
    pub fn response(code: ResponseCode, opaque: i32, remark: Option<String>) -> Self {
        Self {
            code: code.0,
            language: LanguageCode::RUST,
            version: version::CURRENT,
            opaque,
            flag: FLAG_RESPONSE,
            remark,
            ext_fields: ExtFields::new(),
            body: Bytes::new(),
        }
    }

    /// Sets the opaque.
    pub fn with_opaque(mut self, opaque: i32) -> Self {
        self.opaque = opaque;
        self
    }

    /// Sets the ext fields.
    pub fn with_ext_fields(mut self, ext: ExtFields) -> Self {
        self.ext_fields = ext;
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Returns whether this is a response (flag bit 0).
    pub fn is_response(&self) -> bool {
        self.flag & FLAG_RESPONSE != 0
    }

    /// Returns whether this is a oneway request (flag bit 1).
    pub fn is_oneway(&self) -> bool {
        self.flag & FLAG_ONEWAY != 0
    }

    /// Returns the code read as a request code.
    pub fn request_code(&self) -> RequestCode {
        RequestCode(self.code)
    }

    /// Returns the code read as a response code.
    pub fn response_code(&self) -> ResponseCode {
        ResponseCode(self.code)
    }

    /// Returns the remark, or `""`.
    pub fn remark_str(&self) -> &str {
        self.remark.as_deref().unwrap_or("")
    }
}
