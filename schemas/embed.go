// Package schemas embeds idpgen's CUE schema, the .cue files of this
// directory, so that `idpgen init` can give a new platform the schema the
// binary was built with (and check its flags against it). CUE ignores this
// file; the CUE package of the same name is the schema itself.
package schemas

import "embed"

// Files holds the schema's .cue files.
//
//go:embed *.cue
var Files embed.FS
