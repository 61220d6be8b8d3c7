//! The one integration-test binary (ripgrep's layout): each module covers one area.

// The no-panic lints of Cargo.toml guard library code against hostile input; in tests an
// unwrap, an index or a panic that fails is a failing test, which is what we want.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod util;

mod advice;
mod archives;
mod cli;
mod fail_closed;
mod forge;
mod formats;
mod gate;
mod golden;
mod hostile;
mod html;
mod images;
mod libraries;
mod loader;
mod loader_aarch64;
mod lookup;
mod runtime;
mod samples;
mod scale;
mod stream;
mod table;
mod verify;
mod verneed;
