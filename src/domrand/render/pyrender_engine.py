"""The reference engine (`render.engine: pyrender`): the scene's draw lists through pyrender's
own `Scene` and `OffscreenRenderer`.

`PyrenderRenderer` has the interface of `domrand.render.gl.GLRenderer` (texture, mesh,
render, coverage, close), so `SceneRenderer` samples and poses a frame once and either
engine draws it. Each frame's draws become pyrender mesh nodes (their `pyrender.Mesh` is
cached per (mesh, material)); the camera and the one directional light are persistent
nodes. Shadows are pyrender's (RenderFlags.SHADOWS_DIRECTIONAL, its 2048 map and 3x3 PCF),
with two changes that both engines share: the light's shadow camera is the scene's tight
`shadow_frustum` (pyrender's own covers the whole scene, here the 300-unit sky dome, so a
subject's shadow would be a few texels), and the shadow pass gets the same slope-scaled
polygon offset as the fast engine. The map reads "lit" outside its square (border 1), as
the fast engine's does.

The context comes from `domrand.render.backend.create_platform`, not pyrender's platform
classes: an EGL display is one per device and process, and pyrender's EGLPlatform
terminates it on close, which would kill a fast engine alive in the same process.
Coverage uses pyrender's segmentation pass (no antialiasing): the subject alone, then
subject and occluders.
"""

from __future__ import annotations

import numpy as np

from domrand.render import gl as gl_module
from domrand.render.backend import configure, create_platform, release_platform
from domrand.render.camera import look_at
from domrand.render.gl import SHADOW_POLYGON_OFFSET, Material


class _Platform:
    """A `create_platform` context dressed as a pyrender platform."""

    def __init__(self, context, size: int):
        self.context = context
        self.viewport_width = self.viewport_height = size

    def make_current(self):
        self.context.make_current()
        gl_module._current = None  # a GLRenderer in this process makes its own context current again

    def make_uncurrent(self):
        pass  # contexts here stay current until another renderer takes over

    def supports_framebuffers(self):
        return True


def _offscreen_class():
    import pyrender

    class Offscreen(pyrender.OffscreenRenderer):
        """pyrender's OffscreenRenderer on a context from `create_platform`."""

        def __init__(self, size: int, backend: str):
            self._backend = backend
            super().__init__(size, size)

        def _create(self):
            from pyrender.renderer import Renderer

            self._platform = _Platform(
                create_platform(self.viewport_width, self.viewport_height, self._backend), self.viewport_width
            )
            self._platform.make_current()
            self._renderer = Renderer(self.viewport_width, self.viewport_height)

        def delete(self):
            if getattr(self, "_platform", None) is None:
                return
            self._platform.make_current()
            self._renderer.delete()
            # pyrender 0.2.2 keeps the shadow framebuffer's id after deleting it, and its
            # Renderer.__del__ deletes again, later, in whatever context is current then.
            self._renderer._shadow_fb = None
            release_platform(self._platform.context)
            self._platform = self._renderer = None

    return Offscreen


class _MeshData:
    def __init__(self, positions, normals, uv, indices):
        self.positions = np.asarray(positions, np.float32)
        self.normals = np.asarray(normals, np.float32)
        self.uv = np.asarray(uv, np.float32)
        self.indices = np.asarray(indices, np.int64)


class PyrenderRenderer:
    """pyrender's renderer behind GLRenderer's interface. size: square image size;
    coverage_size: must equal size (pyrender renders segmentation at the viewport size)."""

    def __init__(self, size: int, backend: str = "egl", samples: int = 4, coverage_size: int | None = None):
        configure(backend)
        import pyrender

        if samples != 4:
            raise ValueError("the pyrender engine always renders with pyrender's 4x MSAA")
        if coverage_size not in (None, size):
            raise ValueError("the pyrender engine measures coverage at the image size only")
        self._pr = pyrender
        self.size = self.coverage_size = int(size)
        self.samples = 4
        self._r = _offscreen_class()(self.size, backend)
        self.scene = pyrender.Scene()
        self._camera = self.scene.add(pyrender.PerspectiveCamera(yfov=1.0, znear=0.02, zfar=300.0, aspectRatio=1.0))
        self._light = pyrender.DirectionalLight(color=np.ones(3), intensity=1.0)
        self._light._generate_shadow_texture()
        from OpenGL.GL import GL_CLAMP_TO_BORDER

        # Border depth 1 (pyrender's border colour for depth maps): outside the map is lit.
        self._light.shadow_texture.sampler = pyrender.Sampler(wrapS=GL_CLAMP_TO_BORDER, wrapT=GL_CLAMP_TO_BORDER)
        self._light_node = self.scene.add(self._light)
        self._nodes: list = []
        self._meshes: dict = {}
        self._materials: dict = {}
        self._shadow_vp = None
        renderer = self._r._renderer
        renderer._get_light_cam_matrices = lambda scene, light_node, flags: self._shadow_vp
        shadow_pass = renderer._shadow_mapping_pass

        def offset_shadow_pass(scene, light_node, flags):
            from OpenGL import GL

            GL.glEnable(GL.GL_POLYGON_OFFSET_FILL)
            GL.glPolygonOffset(*SHADOW_POLYGON_OFFSET)
            try:
                shadow_pass(scene, light_node, flags)
            finally:
                GL.glDisable(GL.GL_POLYGON_OFFSET_FILL)

        renderer._shadow_mapping_pass = offset_shadow_pass
        self.readback_seconds = 0.0  # pyrender reads back inside render: counted in the render time

    # -- set-up ----------------------------------------------------------------------
    def texture(self, img: np.ndarray):
        """A pyrender Texture of an (H, W, 3) uint8 sRGB image (trilinear mipmaps, repeat)."""
        from OpenGL.GL import GL_LINEAR, GL_LINEAR_MIPMAP_LINEAR

        sampler = self._pr.Sampler(magFilter=GL_LINEAR, minFilter=GL_LINEAR_MIPMAP_LINEAR)
        return self._pr.Texture(
            source=np.ascontiguousarray(np.asarray(img, np.uint8)[..., :3]), source_channels="RGB", sampler=sampler
        )

    def mesh(self, positions, normals, uv, indices) -> _MeshData:
        return _MeshData(positions, normals, uv, indices)

    def _material(self, mat: Material):
        key = id(mat)
        if key not in self._materials:
            self._materials[key] = (
                mat,
                self._pr.MetallicRoughnessMaterial(
                    baseColorFactor=np.asarray(mat.base_color, float),
                    metallicFactor=float(mat.metallic),
                    roughnessFactor=float(mat.roughness),
                    emissiveFactor=np.asarray(mat.emissive, float),
                    baseColorTexture=mat.base_texture,
                    emissiveTexture=mat.emissive_texture,
                ),
            )
        return self._materials[key][1]

    def _mesh(self, mesh: _MeshData, mat: Material | None):
        key = (id(mesh), id(mat))
        if key not in self._meshes:
            material = self._material(mat) if mat is not None else self._pr.MetallicRoughnessMaterial()
            prim = self._pr.Primitive(
                positions=mesh.positions,
                normals=mesh.normals,
                texcoord_0=mesh.uv,
                indices=mesh.indices,
                material=material,
            )
            self._meshes[key] = (mesh, mat, self._pr.Mesh(primitives=[prim]))
        return self._meshes[key][2]

    def _set_nodes(self, draws) -> list:
        for node in self._nodes:
            self.scene.remove_node(node)
        self._nodes = [
            self.scene.add(self._mesh(mesh, mat), pose=np.asarray(model, float)) for mesh, model, mat in draws
        ]
        return self._nodes

    def _set_camera(self, view: np.ndarray, proj: np.ndarray):
        cam = self._camera.camera
        cam.yfov = float(2.0 * np.arctan(1.0 / proj[1, 1]))
        cam.znear = float(proj[2, 3] / (proj[2, 2] - 1.0))
        cam.zfar = float(proj[2, 3] / (proj[2, 2] + 1.0))
        self.scene.set_pose(self._camera, np.linalg.inv(view))

    # -- frames ----------------------------------------------------------------------
    def render(
        self,
        draws,
        view: np.ndarray,
        proj: np.ndarray,
        cam_pos,
        light_dir,
        light_radiance,
        ambient,
        background,
        depth: bool = False,
        shadow=None,
    ):
        """As GLRenderer.render; shadow casters are every mesh node (pyrender's rule), the
        shadow camera is shadow[:2]."""
        pr = self._pr
        self._set_nodes(draws)
        self._set_camera(view, proj)
        radiance = np.asarray(light_radiance, float)
        peak = float(radiance.max())
        self._light.color = radiance / peak if peak > 0 else np.ones(3)
        self._light.intensity = peak
        # A directional light shines along its node's -Z.
        self.scene.set_pose(self._light_node, look_at(np.zeros(3), np.asarray(light_dir, float)))
        self.scene.ambient_light = np.asarray(ambient, float)
        self.scene.bg_color = np.asarray(background, float)
        flags = pr.RenderFlags.NONE
        if shadow is not None:
            self._shadow_vp = (shadow[0], shadow[1])
            flags |= pr.RenderFlags.SHADOWS_DIRECTIONAL
        color, z = self._r.render(self.scene, flags)
        return np.ascontiguousarray(color[..., :3]), (z if depth else None)

    def coverage_masks(self, subject, occluders, view: np.ndarray, proj: np.ndarray):
        """(subject pixels, subject pixels no occluder hides) as boolean (H, W) masks."""
        pr = self._pr
        nodes = self._set_nodes([(m, model, None) for m, model in list(subject) + list(occluders)])
        self._set_camera(view, proj)
        subject_nodes = {n: (255, 0, 0) for n in nodes[: len(subject)]}
        full = self._r.render(self.scene, pr.RenderFlags.SEG, subject_nodes)[0][..., 0] > 127
        both = {**subject_nodes, **{n: (0, 255, 0) for n in nodes[len(subject) :]}}
        seen = self._r.render(self.scene, pr.RenderFlags.SEG, both)[0][..., 0] > 127
        return full, seen

    def coverage(self, subject, occluders, view: np.ndarray, proj: np.ndarray) -> tuple[int, int]:
        full, seen = self.coverage_masks(subject, occluders, view, proj)
        return int(full.sum()), int(seen.sum())

    def close(self) -> None:
        if self._r is not None:
            self._r.delete()
            self._r = None
            self._nodes, self._meshes, self._materials = [], {}, {}
