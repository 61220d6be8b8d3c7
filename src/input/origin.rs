//! Where a file in an image came from: the image (reference, digests, platform), its path
//! inside the image, and the layer that brought it — so that a fix can name the Dockerfile step.

use serde::Serialize;

/// The image a file was found in, and where in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImageOrigin {
    /// The image as named: the user's `registry:`/`docker:` reference, or the tag recorded in
    /// the archive (`RepoTags`, `org.opencontainers.image.ref.name`); empty when none is known.
    pub reference: String,
    /// The manifest digest (what `docker pull …@sha256:…` takes), when the manifest was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The image ID: the digest of its config (what `docker images --no-trunc` shows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `os/arch[/variant]`, from the index or the config.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// The file's absolute path inside the image (`/usr/bin/jq`).
    pub path: String,
    /// The layer whose contents the file is, as it survives in the final tree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<LayerOrigin>,
}

/// One layer of an image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LayerOrigin {
    /// Position, bottom layer 0.
    pub index: usize,
    /// The layer's diff ID (digest of its uncompressed tar, from the config's `rootfs`): the
    /// same whether the image is pulled, saved or loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The build step that made it (`history[].created_by` of the config), when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}
