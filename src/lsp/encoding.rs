//! The position encoding negotiated at `initialize`: UTF-8 when the client offers it, else
//! UTF-16 (the LSP default).

use tower_lsp_server::ls_types::{ClientCapabilities, PositionEncodingKind};

use crate::core;

/// The unit an LSP `character` is counted in for this session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PositionEncoding {
    Utf8,
    #[default]
    Utf16,
}

impl PositionEncoding {
    /// Picks UTF-8 when the client lists `utf-8` in `general.positionEncodings`, since it
    /// needs no conversion from the core's byte offsets; otherwise UTF-16, which every client
    /// must support.
    pub fn negotiate(capabilities: &ClientCapabilities) -> PositionEncoding {
        let offered = capabilities
            .general
            .as_ref()
            .and_then(|general| general.position_encodings.as_deref())
            .unwrap_or_default();

        if offered.contains(&PositionEncodingKind::UTF8) {
            PositionEncoding::Utf8
        } else {
            PositionEncoding::Utf16
        }
    }

    /// The name said in `InitializeResult.capabilities.positionEncoding`.
    pub fn kind(self) -> PositionEncodingKind {
        match self {
            PositionEncoding::Utf8 => PositionEncodingKind::UTF8,
            PositionEncoding::Utf16 => PositionEncodingKind::UTF16,
        }
    }

    /// The same unit as the core's line index understands it.
    pub fn core(self) -> core::Encoding {
        match self {
            PositionEncoding::Utf8 => core::Encoding::Utf8,
            PositionEncoding::Utf16 => core::Encoding::Utf16,
        }
    }
}

#[cfg(test)]
mod tests {
    use tower_lsp_server::ls_types::GeneralClientCapabilities;

    use super::*;

    fn offering(encodings: &[PositionEncodingKind]) -> ClientCapabilities {
        ClientCapabilities {
            general: Some(GeneralClientCapabilities {
                position_encodings: Some(encodings.to_vec()),
                ..GeneralClientCapabilities::default()
            }),
            ..ClientCapabilities::default()
        }
    }

    #[test]
    fn utf8_is_chosen_when_offered_anywhere_in_the_list() {
        let capabilities = offering(&[PositionEncodingKind::UTF16, PositionEncodingKind::UTF8]);

        assert_eq!(PositionEncoding::negotiate(&capabilities), PositionEncoding::Utf8);
    }

    #[test]
    fn utf16_is_the_fallback() {
        let capabilities = offering(&[PositionEncodingKind::UTF32]);

        assert_eq!(PositionEncoding::negotiate(&capabilities), PositionEncoding::Utf16);
        assert_eq!(
            PositionEncoding::negotiate(&ClientCapabilities::default()),
            PositionEncoding::Utf16
        );
    }
}
