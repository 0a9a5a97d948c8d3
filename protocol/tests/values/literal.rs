//! Literal formatting and parsing.
