//! Rendering of results for people: charts (PNG and SVG) drawn from plain data. The engine never
//! depends on this module.

pub mod plot;
