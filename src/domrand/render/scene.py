"""A persistent scene that turns `FrameParams` into pixels.

One `SceneRenderer` lives for a whole shard job: every breed's parts, the sky dome, the
ground, the obstructor shapes and every texture are uploaded once (`domrand.render.gl`),
and a frame is only a list of (mesh, pose, material) draws (DESIGN.md: rebuilding per
frame is ~3x slower).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from domrand.render.backend import configure
from domrand.render.sampling import FrameParams, Obstructor
from domrand.world import shapes
from domrand.world.build import World
from domrand.world.rig import rotation
from domrand.world.mesh_subjects import subject_rig
from domrand.world.subjects import Breed

SUBJECT_DIAGONAL = 1.5  # every subject is scaled to this bounding-box diagonal at rest
NATURAL_SKIES = ("day", "clouds", "overcast", "sunset")


def look_at(eye: np.ndarray, target: np.ndarray, up=(0.0, 1.0, 0.0)) -> np.ndarray:
    """Camera-to-world 4x4 for an OpenGL camera (looking down -Z) at `eye` facing `target`."""
    z = eye - target
    z = z / np.linalg.norm(z)
    x = np.cross(up, z)
    if np.linalg.norm(x) < 1e-6:
        x = np.cross((0.0, 0.0, 1.0), z)
    x = x / np.linalg.norm(x)
    y = np.cross(z, x)
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = x, y, z, eye
    return m


def direction(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    a, e = np.radians(azimuth_deg), np.radians(elevation_deg)
    return np.array([np.cos(e) * np.cos(a), np.sin(e), np.cos(e) * np.sin(a)])


class SceneRenderer:
    """Renders frames of one class from one generator config. Use as a context manager.

    coverage_size: resolution of the id pass behind `coverage` (default: the image
    size, i.e. visible fractions are measured at full resolution, without antialiasing).
    """

    def __init__(self, world: World, cls: str, breeds: list[Breed], gen: dict, size: int, backend: str = "egl",
                 coverage_size: int | None = None):
        configure(backend)
        from domrand.render.gl import GLRenderer, Material, perspective

        self.gen = gen
        self.style = gen["style"]
        self.size = size
        self.gl = GLRenderer(size, backend, samples=4, coverage_size=coverage_size)
        self.background = (*map(float, gen["sky"]["color"]), 1.0)
        self.ambient = (float(gen["lighting"]["ambient"]),) * 3
        self.proj = perspective(np.radians(gen["camera"]["yfov"]), 1.0, 0.02, 300.0)
        toon = self.style["shading"] == "toon"
        gl = self.gl

        def textured(img, metallic, roughness):
            return Material(base_texture=gl.texture(img), metallic=float(metallic), roughness=float(roughness))

        lib = gen["materials"]["library"]
        self.materials = [textured(world.image(e["file"]), e.get("metallic", 0.0), e.get("roughness", 0.8))
                          for e in world.manifest[lib]]
        sky_entries = world.manifest["skies"]
        if gen["sky"]["set"] == "natural":
            sky_entries = [e for e in sky_entries if e.get("natural") or e["kind"] in NATURAL_SKIES]
        self.skies = [Material(base_color=(0.0, 0.0, 0.0, 1.0), emissive=(1.0, 1.0, 1.0),
                               emissive_texture=gl.texture(world.image(e["file"])), roughness=1.0)
                      for e in sky_entries]
        self.plain = Material(base_color=(*map(float, gen["materials"]["plain_color"]), 1.0), roughness=0.9)
        self.dark = Material(base_color=(0.03, 0.03, 0.03, 1.0), roughness=0.3)
        self.coats = []
        for b in breeds:
            if toon:
                self.coats.append(Material(base_color=(*map(float, b.coat["base"]), 1.0), roughness=1.0))
            else:
                self.coats.append(textured(np.asarray(Image.open(world.coat_file(b)).convert("RGB")), 0.0, 0.7))

        self.subjects = []
        for b in breeds:
            rig = subject_rig(world, b)  # procedural, or an imported mesh
            _, rest = rig.pose_frame({})
            scale = SUBJECT_DIAGONAL / float(np.linalg.norm(rest[1] - rest[0]))
            # Coat parts first, dark parts (eyes, nose) after: one material switch per subject.
            parts = [(part.name, self._mesh(part.mesh), part.dark) for part in sorted(rig.parts, key=lambda q: q.dark)]
            self.subjects.append((rig, scale, parts))
        self.dome = self._dome_mesh()
        ground = shapes.box((60.0, 0.02, 60.0), center=(0, -0.01, 0))
        self.ground = self._mesh(ground, ground.vertices[:, [0, 2]] / 1.5)
        self.obstructor_meshes = {kind: self._mesh(shapes.obstructor(kind)) for kind in shapes.OBSTRUCTOR_KINDS}
        self._subject_draws: list = []  # (mesh, model, material) of the posed subject
        self._scene_draws: list = []  # sky dome and ground
        self._obstructor_draws: list = []
        self._camera = np.eye(4)
        self._view = np.eye(4)
        self._light = ((0.0, -1.0, 0.0), (0.0, 0.0, 0.0))
        self._center = np.zeros(3)
        self._diag = SUBJECT_DIAGONAL

    # -- building blocks -------------------------------------------------------------
    def _mesh(self, mesh, uv=None):
        uv = shapes.uv_coordinates(mesh.vertices) if uv is None else uv
        return self.gl.mesh(mesh.vertices, mesh.vertex_normals, uv, mesh.faces)

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
        S = np.diag([scale, scale, scale, 1.0])
        coat = self.coats[p.breed] if p.subject_material < 0 else self.materials[p.subject_material]
        self._subject_draws = [(mesh, S @ mats[name], self.dark if dark else coat) for name, mesh, dark in parts]
        bounds = bounds * scale
        self._center = bounds.mean(0)
        self._diag = float(np.linalg.norm(bounds[1] - bounds[0]))
        target = self._center + np.asarray(p.camera_target) * self._diag
        eye = target + direction(p.camera_azimuth, p.camera_elevation) * p.camera_distance * self._diag
        eye[1] = max(eye[1], 0.05)
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

    def set_obstructors(self, obstructors: list[Obstructor]) -> None:
        draws = []
        for o in obstructors:
            d = np.radians(o.direction_deg)
            pos = self._center + np.array([np.cos(d) * o.distance, 0.0, np.sin(d) * o.distance]) * self._diag
            pos[1] = o.height * self._diag
            m = np.eye(4)
            m[:3, :3] = rotation(*o.rotation) * (o.scale * self._diag)
            m[:3, 3] = pos
            draws.append((self.obstructor_meshes[o.kind], m, self.materials[o.material] if o.material >= 0 else self.plain))
        self._obstructor_draws = draws

    def coverage(self) -> tuple[int, int]:
        """(subject pixels in frame, those not hidden by the active obstructors), at `coverage_size`."""
        return self.gl.coverage([(mesh, model) for mesh, model, _ in self._subject_draws],
                                [(mesh, model) for mesh, model, _ in self._obstructor_draws], self._view, self.proj)

    def render(self, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
        """The frame as an (H, W, 3) uint8 image after the style's post-processing, and what was sampled
        for it (plus `t_readback`, seconds spent copying the frame to host memory)."""
        style = self.style
        toon = style["shading"] == "toon"
        # Near to far (subject, obstructors, ground, sky), so depth testing skips hidden fragments early.
        draws = self._subject_draws + self._obstructor_draws + self._scene_draws
        img, depth = self.gl.render(draws, self._view, self.proj, self._camera[:3, 3], self._light[0], self._light[1],
                                    self.ambient, self.background, depth=toon)
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


def _toon(img: np.ndarray, depth: np.ndarray, levels: int) -> np.ndarray:
    """Cel shading: posterized colours plus black outlines at depth discontinuities."""
    q = 256 // levels
    out = (img // q) * q + q // 2
    d = np.where(depth > 0, depth, depth.max() * 10 + 1)
    edge = np.zeros(depth.shape, bool)
    for axis in (0, 1):
        diff = np.abs(np.diff(d, axis=axis)) > 0.04 * np.minimum(d[:-1] if axis == 0 else d[:, :-1],
                                                                  d[1:] if axis == 0 else d[:, 1:])
        if axis == 0:
            edge[:-1] |= diff
            edge[1:] |= diff
        else:
            edge[:, :-1] |= diff
            edge[:, 1:] |= diff
    out[edge] = 20
    return out.astype(np.uint8)
