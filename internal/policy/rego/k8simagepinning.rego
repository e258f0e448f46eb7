package k8simagepinning

violation contains {"msg": msg} if {
	input.parameters.requireDigest
	some c in all_containers
	not contains(c.image, "@sha256:")
	msg := sprintf("container %s: image %s is not pinned by digest", [c.name, c.image])
}

violation contains {"msg": msg} if {
	some c in all_containers
	not contains(c.image, "@")
	tag := image_tag(c.image)
	lower(tag) in {lower(t) | some t in input.parameters.disallowedTags}
	msg := sprintf("container %s: image %s uses the mutable tag %s", [c.name, c.image, tag])
}

# The tag of an image without a digest; none means latest.
image_tag(image) := tag if {
	parts := split(image, "/")
	name := parts[count(parts) - 1]
	contains(name, ":")
	tag := split(name, ":")[1]
} else := "latest"
