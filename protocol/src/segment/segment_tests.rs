//! Tests for v5 segments.
