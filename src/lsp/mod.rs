//! The language server: document store, position encodings and the protocol.
