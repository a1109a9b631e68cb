"""Subject meshes: static mesh import and normalisation (load), glTF skinned models read
(gltf), their animation clips sampled (animation), posed by linear-blend skinning (skinning)
and stored as flat arrays (arrays)."""
