"""A persistent scene that turns `FrameParams` into pixels.

One `SceneRenderer` lives for a whole shard job: every breed's parts, the sky dome, the
ground, the obstructor shapes and every texture are uploaded once (`domrand.render.gl`),
and a frame is only a list of (mesh, pose, material) draws (rebuilding per frame is ~3x
slower).

Two engines draw those lists: `fast` (domrand.render.gl, the default) and `pyrender`
(domrand.render.pyrender_engine: pyrender's own Scene and OffscreenRenderer, the reference).
With `lighting.shadows`, the subject and the obstructors cast shadows from the directional
light onto everything (`shadow_frustum` fits the light's view to them).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from domrand.render.backend import configure
from domrand.render.camera import direction, look_at, shadow_frustum
from domrand.render.sampling import FrameParams, Obstructor
from domrand.world import shapes
from domrand.world.build import World
from domrand.world.mesh_subjects import subject_rig
from domrand.world.rig import rotation
from domrand.world.sets import MATERIAL_SETS, SKY_SETS
from domrand.world.subjects import Breed

SUBJECT_DIAGONAL = 1.5  # every subject is scaled to this bounding-box diagonal at rest
ENGINES = ("fast", "pyrender")
SKYLIGHT_TINT = (0.8, 0.92, 1.1)  # daylight ambient: the blue sky's colour, mean ~0.94


def _entries(world: World, key: str, config_key: str) -> list[dict]:
    if key not in world.manifest:
        raise KeyError(
            f"config key {config_key}: the world at {world.root} has no {key!r}; rebuild it "
            f"(snakemake resources/world --forcerun build_world)"
        )
    return world.manifest[key]


def ambient_light(lighting: dict) -> tuple[float, float, float]:
    """Ambient radiance: grey for the synthetic light model, sky-tinted for daylight."""
    a = float(lighting["ambient"])
    if lighting["model"] == "daylight":
        return tuple(a * t for t in SKYLIGHT_TINT)
    return (a, a, a)


class SceneRenderer:
    """Renders frames of one class from one generator config. Use as a context manager.

    coverage_size: resolution of the id pass behind `coverage` (default: the image
    size, i.e. visible fractions are measured at full resolution, without antialiasing).
    engine: `fast` (our GL draw list) or `pyrender` (pyrender's renderer, the reference).
    """

    def __init__(
        self,
        world: World,
        cls: str,
        breeds: list[Breed],
        gen: dict,
        size: int,
        backend: str = "egl",
        coverage_size: int | None = None,
        engine: str = "fast",
    ):
        configure(backend)
        from domrand.render.gl import Material, perspective

        self.gen = gen
        self.style = gen["style"]
        self.size = size
        self.shadows = bool(gen["lighting"]["shadows"])
        self.gl = _engine(engine, size, backend, coverage_size)
        self.background = (*map(float, gen["sky"]["color"]), 1.0)
        self.ambient = ambient_light(gen["lighting"])
        self.proj = perspective(np.radians(gen["camera"]["yfov"]), 1.0, 0.02, 300.0)
        toon = self.style["shading"] == "toon"
        # Synthetic variants and target domains draw from disjoint sets (world/target_scenery.py).
        self.materials = [
            self._textured(world.image(e["file"]), e.get("metallic", 0.0), e.get("roughness", 0.8))
            for e in _entries(world, MATERIAL_SETS[gen["materials"]["library"]], "materials.library")
        ]
        self.skies = self._skies(world, _entries(world, SKY_SETS[gen["sky"]["set"]], "sky.set"))
        self.plain = Material(base_color=(*map(float, gen["materials"]["plain_color"]), 1.0), roughness=0.9)
        self.dark = Material(base_color=(0.03, 0.03, 0.03, 1.0), roughness=0.3)
        self.coats = [self._coat(world, b, toon) for b in breeds]
        self._coloured: dict[tuple, Material] = {}
        self.subjects = [self._subject(world, b, toon) for b in breeds]
        self._upload_scenery()
        self._subject_draws: list = []  # (mesh, model, material) of the posed subject
        self._scene_draws: list = []  # sky dome and ground
        self._obstructor_draws: list = []
        self._camera = np.eye(4)
        self._view = np.eye(4)
        self._light = ((0.0, -1.0, 0.0), (0.0, 0.0, 0.0))
        self._center = np.zeros(3)
        self._bounds = np.zeros((2, 3))
        self._obstructor_bounds = np.zeros((0, 2, 3))
        self._target = np.zeros(3)
        self._diag = SUBJECT_DIAGONAL

    # -- building blocks -------------------------------------------------------------
    def _textured(self, img: np.ndarray, metallic, roughness):
        """A material wearing ``img`` (uploaded as a texture) with the given PBR finish."""
        from domrand.render.gl import Material

        return Material(base_texture=self.gl.texture(img), metallic=float(metallic), roughness=float(roughness))

    def _skies(self, world: World, entries: list[dict]) -> list:
        """One unlit material per sky panorama: its texture is emitted as is."""
        from domrand.render.gl import Material

        return [
            Material(
                base_color=(0.0, 0.0, 0.0, 1.0),
                emissive=(1.0, 1.0, 1.0),
                emissive_texture=self.gl.texture(world.image(e["file"])),
                roughness=1.0,
                receives_shadows=False,
            )
            for e in entries
        ]

    def _coat(self, world: World, b: Breed, toon: bool):
        """Breed ``b``'s coat material: its base colour (toon) or its coat texture."""
        from domrand.render.gl import Material

        if toon:
            return Material(base_color=(*map(float, b.coat["base"]), 1.0), roughness=1.0)
        # A breed's coat may carry its own finish (synthetic car paint: glossy); else matte.
        return self._textured(
            np.asarray(Image.open(world.coat_file(b)).convert("RGB")),
            b.coat.get("metallic", 0.0),
            b.coat.get("roughness", 0.7),
        )

    def _subject(self, world: World, b: Breed, toon: bool) -> tuple:
        """(rig, scale, parts) of breed ``b``, its parts uploaded as (name, mesh, fixed
        material, own material)."""
        rig = subject_rig(world, b)  # procedural, lofted (target domains), or an imported mesh
        _, rest = rig.pose_frame({})
        scale = SUBJECT_DIAGONAL / float(np.linalg.norm(rest[1] - rest[0]))

        # Coat parts first, fixed-colour parts (eyes, nose, glass) after: few material switches
        # per subject. An imported mesh's parts are its material groups: own colours (and own
        # UVs) where the model has them, else None (the coat, on procedural UVs).
        def fixed(q):
            return q[1].dark or q[1].color is not None

        own = _own_materials(rig, self._textured)
        uvs = getattr(rig, "uvs", [None] * len(rig.parts))
        parts = [
            (part.name, self._mesh(part.mesh, uvs[i]), self._fixed_material(part, toon), own[i])
            for i, part in sorted(enumerate(rig.parts), key=fixed)
        ]
        return rig, scale, parts

    def _upload_scenery(self) -> None:
        """Upload the sky dome, the ground and every obstructor shape."""
        self.dome = self._dome_mesh()
        ground = shapes.box((60.0, 0.02, 60.0), center=(0, -0.01, 0))
        self.ground = self._mesh(ground, ground.vertices[:, [0, 2]] / 1.5)
        self.obstructor_meshes = {kind: self._mesh(shapes.obstructor(kind)) for kind in shapes.OBSTRUCTOR_KINDS}
        # Bounding radius of each shape at scale 1, for the shadow frustum.
        self.obstructor_radius = {
            kind: float(np.linalg.norm(shapes.obstructor(kind).vertices, axis=1).max())
            for kind in shapes.OBSTRUCTOR_KINDS
        }

    def _subject_meshes(self, breed: int):
        """(GL mesh, name, fixed material) of the breed's parts in the rig's part order."""
        rig, _, parts = self.subjects[breed]
        by_name = {name: (mesh, name, fixed) for name, mesh, fixed, _ in parts}
        return [by_name[part.name] for part in rig.parts]

    def _mesh(self, mesh, uv=None):
        if uv is None:  # a mesh's own texture coordinates (lofted parts), else a spherical projection
            own = getattr(mesh.visual, "uv", None)
            uv = own if own is not None else shapes.uv_coordinates(mesh.vertices)
        return self.gl.mesh(mesh.vertices, mesh.vertex_normals, uv, mesh.faces)

    def _fixed_material(self, part, toon: bool):
        """The material of a part that does not wear the coat (None for coat parts)."""
        from domrand.render.gl import Material

        if part.dark:
            return self.dark
        if part.color is None:
            return None
        key = tuple(round(float(c), 4) for c in part.color)
        if key not in self._coloured:  # glossy: eyes, glass, chrome and lights catch highlights
            self._coloured[key] = Material(base_color=(*key, 1.0), roughness=1.0 if toon else 0.3)
        return self._coloured[key]

    def _dome_mesh(self, radius: float = 150.0, n_lat: int = 24, n_lon: int = 48):
        lat = np.linspace(0, np.pi, n_lat + 1)
        lon = np.linspace(0, 2 * np.pi, n_lon + 1)
        la, lo = np.meshgrid(lat, lon, indexing="ij")
        pos = np.stack([np.sin(la) * np.cos(lo), np.cos(la), np.sin(la) * np.sin(lo)], -1).reshape(-1, 3)
        uv = np.stack([lo / (2 * np.pi), la / np.pi], -1).reshape(-1, 2)
        w = n_lon + 1
        i, j = np.meshgrid(np.arange(n_lat), np.arange(n_lon), indexing="ij")
        a, b = i * w + j, i * w + j + 1
        c, d = a + w, b + w
        # Counter-clockwise seen from inside: back-face culling keeps the inside of the dome.
        idx = np.stack([np.stack([a, c, b], -1), np.stack([b, c, d], -1)], 2).reshape(-1, 3)
        return self.gl.mesh(pos * radius, -pos, uv, idx)

    # -- per frame -------------------------------------------------------------------
    def set_frame(self, p: FrameParams) -> None:
        """Pose the subject, camera, light, sky and ground for frame `p` (obstructors: `set_obstructors`)."""
        rig, scale, parts = self.subjects[p.breed]
        mats, bounds = rig.pose_frame(p.pose)
        if getattr(rig, "deformed", None):  # a rigged mesh skinned for this frame
            for (mesh, _, _), (positions, normals) in zip(self._subject_meshes(p.breed), rig.deformed):
                _update_mesh(self.gl, mesh, positions, normals)
        S = np.diag([scale, scale, scale, 1.0])
        random = p.subject_material >= 0
        coat = self.coats[p.breed] if not random else self.materials[p.subject_material]
        self._subject_draws = [
            (mesh, S @ mats[name], fixed if fixed is not None else own if own and not random else coat)
            for name, mesh, fixed, own in parts
        ]
        bounds = bounds * scale
        self._bounds = bounds
        self._center = bounds.mean(0)
        self._diag = float(np.linalg.norm(bounds[1] - bounds[0]))
        target = self._center + np.asarray(p.camera_target) * self._diag
        eye = target + direction(p.camera_azimuth, p.camera_elevation) * p.camera_distance * self._diag
        eye[1] = max(eye[1], 0.05)
        self._target = target
        self._camera = look_at(eye, target)
        self._view = np.linalg.inv(self._camera)
        toward_light = direction(p.light_azimuth, p.light_elevation)
        self._light = (-toward_light, np.asarray(p.light_color, float) * p.light_intensity)
        scene = []
        pose = np.eye(4)
        pose[:3, 3] = eye
        if self.gen["ground"]["mode"] != "none":
            m = self.materials[p.ground_material] if p.ground_material >= 0 else self.plain
            scene.append((self.ground, np.eye(4), m))
        if p.sky >= 0:
            scene.append((self.dome, pose, self.skies[p.sky]))
        self._scene_draws = scene
        self._obstructor_draws = []
        self._obstructor_bounds = np.zeros((0, 2, 3))

    def obstructor_position(self, o: Obstructor) -> np.ndarray:
        """World position of obstructor `o` in the current frame: around the subject, or on the
        line from the camera's aim point to the camera (`o.between`), offset by `o.offset`."""
        if o.between is not None:
            eye = self._camera[:3, 3]
            return self._target + o.between * (eye - self._target) + np.asarray(o.offset) * self._diag
        d = np.radians(o.direction_deg)
        pos = self._center + np.array([np.cos(d) * o.distance, 0.0, np.sin(d) * o.distance]) * self._diag
        pos[1] = o.height * self._diag
        return pos

    def set_obstructors(self, obstructors: list[Obstructor]) -> None:
        draws, bounds = [], []
        for o in obstructors:
            pos = self.obstructor_position(o)
            m = np.eye(4)
            m[:3, :3] = rotation(*o.rotation) * (o.scale * self._diag)
            m[:3, 3] = pos
            draws.append(
                (self.obstructor_meshes[o.kind], m, self.materials[o.material] if o.material >= 0 else self.plain)
            )
            r = self.obstructor_radius[o.kind] * o.scale * self._diag
            bounds.append((pos - r, pos + r))
        self._obstructor_draws = draws
        self._obstructor_bounds = np.asarray(bounds, float).reshape(-1, 2, 3)

    def shadow(self):
        """What `render` passes the engine for this frame's shadows: (light view, light
        projection, casters), or None with shadows off."""
        if not self.shadows:
            return None
        boxes = np.concatenate([self._bounds[None], self._obstructor_bounds])
        view, proj = shadow_frustum(boxes[:, 0].min(0), boxes[:, 1].max(0), self._light[0])
        casters = [(mesh, model) for mesh, model, _ in self._subject_draws + self._obstructor_draws]
        return view, proj, casters

    def coverage_masks(self):
        """(subject pixels, those not hidden by the active obstructors) as boolean masks."""
        return self.gl.coverage_masks(
            [(mesh, model) for mesh, model, _ in self._subject_draws],
            [(mesh, model) for mesh, model, _ in self._obstructor_draws],
            self._view,
            self.proj,
        )

    def coverage(self) -> tuple[int, int]:
        """(subject pixels in frame, those not hidden by the active obstructors), at `coverage_size`."""
        return self.gl.coverage(
            [(mesh, model) for mesh, model, _ in self._subject_draws],
            [(mesh, model) for mesh, model, _ in self._obstructor_draws],
            self._view,
            self.proj,
        )

    def render(self, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
        """The frame as an (H, W, 3) uint8 image after the style's post-processing, and what was sampled
        for it (plus `t_readback`, seconds spent copying the frame to host memory)."""
        style = self.style
        toon = style["shading"] == "toon"
        # Near to far (subject, obstructors, ground, sky), so depth testing skips hidden fragments early.
        draws = self._subject_draws + self._obstructor_draws + self._scene_draws
        img, depth = self.gl.render(
            draws,
            self._view,
            self.proj,
            self._camera[:3, 3],
            self._light[0],
            self._light[1],
            self.ambient,
            self.background,
            depth=toon,
            shadow=self.shadow(),
        )
        info = {"t_readback": self.gl.readback_seconds}
        if toon:
            img = _toon(img, depth, levels=int(style["toon_levels"]))
        blur = float(rng.uniform(*style["blur"]))
        noise = float(rng.uniform(*style["noise"]))
        if blur > 0:
            img = np.asarray(Image.fromarray(np.ascontiguousarray(img)).filter(ImageFilter.GaussianBlur(blur)))
        if noise > 0:
            img = np.clip(img + rng.normal(0, noise * 255, img.shape), 0, 255).astype(np.uint8)
        info.update(post_blur=blur, post_noise=noise)
        return np.ascontiguousarray(img), info

    def close(self) -> None:
        self.gl.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _engine(engine: str, size: int, backend: str, coverage_size: int | None):
    """The renderer that draws the frames: `fast` (our GL draw list) or `pyrender`."""
    from domrand.render.gl import GLRenderer

    if engine == "fast":
        return GLRenderer(size, backend, samples=4, coverage_size=coverage_size)
    if engine == "pyrender":
        from domrand.render.pyrender_engine import PyrenderRenderer

        return PyrenderRenderer(size, backend, coverage_size=coverage_size)
    raise ValueError(f"config key render.engine: {engine!r} is not an engine; use one of {ENGINES}")


def _own_materials(rig, textured) -> list:
    """Per part of ``rig``: the Material of the model's own base colour, or None (coat)."""
    from domrand.render.gl import Material

    groups = getattr(rig, "groups", None)
    if groups is None:
        return [None] * len(rig.parts)
    out = []
    for group, image in zip(groups, rig.textures):
        if not group["own"]:
            out.append(None)
        elif image is not None:
            m = textured(image, 0.0, 0.7)
            m.base_color = tuple(map(float, group["factor"]))
            out.append(m)
        else:
            out.append(Material(base_color=tuple(map(float, group["factor"])), roughness=0.7))
    return out


def _update_mesh(gl, mesh, positions: np.ndarray, normals: np.ndarray) -> None:
    """Overwrite a mesh's vertex positions and normals in place (same vertex count): a skinned
    frame costs two buffer uploads, no new GL objects."""
    GL = gl.GL
    gl._use()  # the context of this renderer (several may live in one process)
    for buf, data in ((mesh.buffers[0], positions), (mesh.buffers[1], normals)):
        data = np.ascontiguousarray(data, np.float32)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, buf)
        GL.glBufferSubData(GL.GL_ARRAY_BUFFER, 0, data.nbytes, data)
    GL.glBindBuffer(GL.GL_ARRAY_BUFFER, 0)


def _toon(img: np.ndarray, depth: np.ndarray, levels: int) -> np.ndarray:
    """Cel shading: posterized colours plus black outlines at depth discontinuities."""
    q = 256 // levels
    out = (img // q) * q + q // 2
    d = np.where(depth > 0, depth, depth.max() * 10 + 1)
    edge = np.zeros(depth.shape, bool)
    for axis in (0, 1):
        diff = np.abs(np.diff(d, axis=axis)) > 0.04 * np.minimum(
            d[:-1] if axis == 0 else d[:, :-1], d[1:] if axis == 0 else d[:, 1:]
        )
        if axis == 0:
            edge[:-1] |= diff
            edge[1:] |= diff
        else:
            edge[:, :-1] |= diff
            edge[:, 1:] |= diff
    out[edge] = 20
    return out.astype(np.uint8)
