"""A persistent pyrender scene that turns `FrameParams` into pixels.

One `SceneRenderer` lives for a whole shard job: every breed's parts, the sky dome, the
ground and a pool of obstructors are uploaded once, and a frame only moves nodes, toggles
visibility and swaps materials (DESIGN.md: rebuilding per frame is ~3x slower).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from domrand.render.backend import configure, offscreen_renderer
from domrand.render.sampling import FrameParams, Obstructor
from domrand.world import shapes
from domrand.world.build import World
from domrand.world.rig import rotation
from domrand.render.mesh_subjects import subject_rig
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
    """Renders frames of one class from one generator config. Use as a context manager."""

    def __init__(self, world: World, cls: str, breeds: list[Breed], gen: dict, size: int, backend: str = "egl"):
        configure(backend)
        import pyrender

        self._pr = pyrender
        self.gen = gen
        self.style = gen["style"]
        self.size = size
        self.renderer = offscreen_renderer(size, size, backend)
        bg = [*gen["sky"]["color"], 1.0]
        self.scene = pyrender.Scene(bg_color=bg, ambient_light=[gen["lighting"]["ambient"]] * 3)
        toon = self.style["shading"] == "toon"

        lib = gen["materials"]["library"]
        self.materials = [self._textured(world.image(e["file"]), e.get("metallic", 0.0), e.get("roughness", 0.8))
                          for e in world.manifest[lib]]
        sky_entries = world.manifest["skies"]
        if gen["sky"]["set"] == "natural":
            sky_entries = [e for e in sky_entries if e["kind"] in NATURAL_SKIES]
        self.skies = [self._emissive(world.image(e["file"])) for e in sky_entries]
        self.plain = pyrender.MetallicRoughnessMaterial(baseColorFactor=[*gen["materials"]["plain_color"], 1.0],
                                                        metallicFactor=0.0, roughnessFactor=0.9)
        self.dark = pyrender.MetallicRoughnessMaterial(baseColorFactor=[0.03, 0.03, 0.03, 1.0],
                                                       metallicFactor=0.0, roughnessFactor=0.3)
        self.coats = []
        for b in breeds:
            if toon:
                self.coats.append(pyrender.MetallicRoughnessMaterial(
                    baseColorFactor=[*b.coat["base"], 1.0], metallicFactor=0.0, roughnessFactor=1.0))
            else:
                self.coats.append(self._textured(np.asarray(Image.open(world.coat_file(b)).convert("RGB")), 0.0, 0.7))
        # Keep every texture resident: pyrender frees textures no scene mesh references.
        pool = [self._triangle(m) for m in self.materials + self.skies + self.coats]
        self.scene.add(pyrender.Mesh(pool, is_visible=False))

        self.subjects = []
        for b in breeds:
            rig = subject_rig(world, b)  # procedural, or an imported mesh
            _, rest = rig.pose_frame({})
            scale = SUBJECT_DIAGONAL / float(np.linalg.norm(rest[1] - rest[0]))
            nodes = {}
            for part in rig.parts:
                prim = self._primitive(part.mesh, self.dark if part.dark else self.plain)
                nodes[part.name] = (self.scene.add(pyrender.Mesh([prim], is_visible=False)), part.dark)
            self.subjects.append((rig, scale, nodes))
        self.current = None

        self.dome = self.scene.add(pyrender.Mesh([self._dome_primitive()], is_visible=False))
        ground = shapes.box((60.0, 0.02, 60.0), center=(0, -0.01, 0))
        uv = ground.vertices[:, [0, 2]] / 1.5
        self.ground = self.scene.add(pyrender.Mesh([self._primitive(ground, self.plain, uv)],
                                                   is_visible=gen["ground"]["mode"] != "none"))
        n_pool = int(gen["obstructors"]["count"][1]) if gen["obstructors"]["enabled"] else 0
        self.obstructor_pool = {
            kind: [self.scene.add(pyrender.Mesh([self._primitive(shapes.obstructor(kind), self.plain)], is_visible=False))
                   for _ in range(n_pool)]
            for kind in shapes.OBSTRUCTOR_KINDS
        }
        self.active_obstructors = []
        self.camera = self.scene.add(pyrender.PerspectiveCamera(yfov=np.radians(gen["camera"]["yfov"]), znear=0.02, zfar=300.0))
        self.light = self.scene.add(pyrender.DirectionalLight(color=[1.0, 1.0, 1.0], intensity=3.0))
        self._center = np.zeros(3)
        self._diag = SUBJECT_DIAGONAL

    # -- building blocks -------------------------------------------------------------
    def _textured(self, img: np.ndarray, metallic: float, roughness: float):
        pr = self._pr
        tex = pr.Texture(source=img, source_channels="RGB")
        return pr.MetallicRoughnessMaterial(baseColorTexture=tex, baseColorFactor=[1.0, 1.0, 1.0, 1.0],
                                            metallicFactor=float(metallic), roughnessFactor=float(roughness))

    def _emissive(self, img: np.ndarray):
        pr = self._pr
        tex = pr.Texture(source=img, source_channels="RGB")
        return pr.MetallicRoughnessMaterial(baseColorFactor=[0.0, 0.0, 0.0, 1.0], emissiveTexture=tex,
                                            emissiveFactor=[1.0, 1.0, 1.0], metallicFactor=0.0, roughnessFactor=1.0)

    def _primitive(self, mesh, material, uv=None):
        uv = shapes.uv_coordinates(mesh.vertices) if uv is None else uv
        return self._pr.Primitive(positions=mesh.vertices.astype(np.float32), normals=mesh.vertex_normals.astype(np.float32),
                                  texcoord_0=uv.astype(np.float32), indices=mesh.faces.astype(np.uint32), material=material)

    def _triangle(self, material):
        v = np.array([[0, 0, 0], [1e-4, 0, 0], [0, 1e-4, 0]], np.float32)
        return self._pr.Primitive(positions=v, normals=np.tile([0, 0, 1.0], (3, 1)).astype(np.float32),
                                  texcoord_0=v[:, :2], indices=np.array([[0, 1, 2]], np.uint32), material=material)

    def _dome_primitive(self, radius: float = 150.0, n_lat: int = 24, n_lon: int = 48):
        lat = np.linspace(0, np.pi, n_lat + 1)
        lon = np.linspace(0, 2 * np.pi, n_lon + 1)
        la, lo = np.meshgrid(lat, lon, indexing="ij")
        pos = np.stack([np.sin(la) * np.cos(lo), np.cos(la), np.sin(la) * np.sin(lo)], -1).reshape(-1, 3)
        uv = np.stack([lo / (2 * np.pi), la / np.pi], -1).reshape(-1, 2)
        idx = []
        w = n_lon + 1
        for i in range(n_lat):
            for j in range(n_lon):
                a, b, c, d = i * w + j, i * w + j + 1, (i + 1) * w + j, (i + 1) * w + j + 1
                idx += [[a, b, c], [b, d, c]]  # wound to face inwards
        return self._pr.Primitive(positions=(pos * radius).astype(np.float32), normals=(-pos).astype(np.float32),
                                  texcoord_0=uv.astype(np.float32), indices=np.array(idx, np.uint32), material=self.skies[0] if self.skies else self.plain)

    # -- per frame -----------------------------------------------------------------
    def set_frame(self, p: FrameParams) -> None:
        """Pose the subject, camera, light, sky and ground for frame `p` (obstructors: `set_obstructors`)."""
        if self.current is not None and self.current != p.breed:
            for node, _ in self.subjects[self.current][2].values():
                node.mesh.is_visible = False
        rig, scale, nodes = self.subjects[p.breed]
        self.current = p.breed
        mats, bounds = rig.pose_frame(p.pose)
        S = np.diag([scale, scale, scale, 1.0])
        coat = self.coats[p.breed] if p.subject_material < 0 else self.materials[p.subject_material]
        for name, (node, dark) in nodes.items():
            self.scene.set_pose(node, S @ mats[name])
            node.mesh.is_visible = True
            if not dark:
                node.mesh.primitives[0].material = coat
        bounds = bounds * scale
        self._center = bounds.mean(0)
        self._diag = float(np.linalg.norm(bounds[1] - bounds[0]))
        target = self._center + np.asarray(p.camera_target) * self._diag
        eye = target + direction(p.camera_azimuth, p.camera_elevation) * p.camera_distance * self._diag
        eye[1] = max(eye[1], 0.05)
        self.scene.set_pose(self.camera, look_at(eye, target))
        self.light.light.intensity = p.light_intensity
        self.light.light.color = np.asarray(p.light_color, float)
        self.scene.set_pose(self.light, look_at(direction(p.light_azimuth, p.light_elevation), np.zeros(3)))
        if p.sky >= 0:
            self.dome.mesh.is_visible = True
            self.dome.mesh.primitives[0].material = self.skies[p.sky]
            pose = np.eye(4)
            pose[:3, 3] = eye
            self.scene.set_pose(self.dome, pose)
        else:
            self.dome.mesh.is_visible = False
        if self.gen["ground"]["mode"] != "none":
            m = self.materials[p.ground_material] if p.ground_material >= 0 else self.plain
            self.ground.mesh.primitives[0].material = m
        self.set_obstructors([])

    def set_obstructors(self, obstructors: list[Obstructor]) -> None:
        for node in self.active_obstructors:
            node.mesh.is_visible = False
        self.active_obstructors = []
        used = {k: 0 for k in self.obstructor_pool}
        for o in obstructors:
            node = self.obstructor_pool[o.kind][used[o.kind]]
            used[o.kind] += 1
            d = np.radians(o.direction_deg)
            pos = self._center + np.array([np.cos(d) * o.distance, 0.0, np.sin(d) * o.distance]) * self._diag
            pos[1] = o.height * self._diag
            m = np.eye(4)
            m[:3, :3] = rotation(*o.rotation) * (o.scale * self._diag)
            m[:3, 3] = pos
            self.scene.set_pose(node, m)
            node.mesh.primitives[0].material = self.materials[o.material] if o.material >= 0 else self.plain
            node.mesh.is_visible = True
            self.active_obstructors.append(node)

    def subject_pixels(self, with_obstructors: bool) -> int:
        """Pixels of the subject visible in frame, optionally behind the active obstructors."""
        pr = self._pr
        seg = {node: (255, 0, 0) for node, _ in self.subjects[self.current][2].values()}
        if with_obstructors:
            seg.update({node: (0, 255, 0) for node in self.active_obstructors})
        color, _ = self.renderer.render(self.scene, flags=pr.RenderFlags.SEG, seg_node_map=seg)
        return int((color[..., 0] > 127).sum())

    def render(self, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
        """The frame as an (H, W, 3) uint8 image after the style's post-processing, and what was sampled for it."""
        color, depth = self.renderer.render(self.scene)
        img = color[..., :3]
        info = {}
        style = self.style
        if style["shading"] == "toon":
            img = _toon(img, depth, levels=int(style["toon_levels"]))
        blur = float(rng.uniform(*style["blur"]))
        noise = float(rng.uniform(*style["noise"]))
        if blur > 0:
            img = np.asarray(Image.fromarray(img).filter(ImageFilter.GaussianBlur(blur)))
        if noise > 0:
            img = np.clip(img + rng.normal(0, noise * 255, img.shape), 0, 255).astype(np.uint8)
        info.update(post_blur=blur, post_noise=noise)
        return np.ascontiguousarray(img), info

    def close(self) -> None:
        self.renderer.delete()

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
