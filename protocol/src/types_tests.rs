//! Tests for the primitive codecs.
