//! The one integration-test binary (ripgrep's layout): each module covers one area.

mod util;

mod advice;
mod archives;
mod cli;
mod formats;
mod gate;
mod html;
mod loader;
mod lookup;
mod samples;
