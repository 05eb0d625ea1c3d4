// Package images puts images into nook's store and finds them there: from a
// registry, a `docker save` or OCI-layout archive, or a rootfs tarball. All
// of them arrive as a go-containerregistry v1.Image and take one path into
// the store (Add): blobs verified against their digests, each missing layer
// unpacked once inside the user namespace and checked against its diff ID,
// then the image record and its names.
package images
