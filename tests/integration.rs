//! The one integration-test binary (ripgrep's layout): each module covers one area.

mod util;

mod advice;
mod archives;
mod cli;
mod loader;
mod samples;
