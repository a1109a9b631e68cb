"""A lean OpenGL 3.3 forward renderer for the persistent scene (one directional light, PBR,
optional shadow map).

Why not pyrender's renderer: on a CPU (Mesa llvmpipe) its per-frame Python work dominated
the frame (it sorts and poses every node of the scene, visible or not, and sets ~10
uniforms per draw by name), and every frame it read back and converted the depth buffer.
This renderer draws the same content the same way (pyrender's metallic-roughness shading
for one directional light plus ambient and emissive, sRGB textures with trilinear
mipmaps, back-face culling, 4x MSAA resolved by a blit) from a draw list the scene
builds, with uniform locations looked up once: our own GL renderer with pyrender's shading;
pyrender is the reference engine. The GL context comes from ``domrand.render.backend``
(EGL device selection; OSMesa through pyrender's platform).

Shadows (pyrender's RenderFlags.SHADOWS_DIRECTIONAL, made cheap): a depth-only pass of the
casters (subject and obstructors) into a small depth texture over a tight orthographic
frustum that the scene computes, then one hardware-filtered depth compare per fragment
(a bilinear 2x2 PCF: pyrender's `texture2DShadowLerp`, where pyrender averages nine of them)
with pyrender's depth bias and its "beyond the far plane is lit" rule.

The coverage pass (for the occlusion limit) draws flat ids into a single-sample RG target,
the subject into R, then the obstructors into G over the subject's depth, and reads it back
once: subject pixels and the subject pixels no obstructor hides come from one round trip to
the GPU (on NVIDIA each read-back is a wait for the GPU, and the CPU side of those waits, not
the GPU, bounds the frame rate).
"""

from __future__ import annotations

import ctypes
import time
from dataclasses import dataclass

import numpy as np

from domrand.render.backend import BackendError, configure, create_platform, release_platform

_VERT = """#version 330 core
layout(location = 0) in vec3 position;
layout(location = 1) in vec3 normal;
layout(location = 2) in vec2 texcoord;
uniform mat4 M;
uniform mat4 VP;
uniform mat4 light_matrix;
out vec3 frag_position;
out vec3 frag_normal;
out vec2 uv;
out vec4 light_position;  // affine (orthographic light), so interpolating it is exact
void main() {
    vec4 w = M * vec4(position, 1.0);
    gl_Position = VP * w;
    light_position = light_matrix * w;
    frag_position = w.xyz;
    // Model matrices are rigid motions times a uniform scale, so mat3(M) is the normal
    // matrix up to a factor that normalize() removes.
    frag_normal = normalize(mat3(M) * normal);
    uv = texcoord;
}
"""

# Derived from pyrender 0.2.2 shaders/mesh.frag (compute_brdf, srgb_to_linear, shadow_calc),
# specialised to one directional light with an optional shadow map. pyrender's shader is
# kept whole in the installed package (pyrender/shaders/mesh.frag); this specialisation
# exists for speed (no light arrays, no per-material #define variants). pyrender's notice:
#   The MIT License (MIT). Copyright (c) 2019 Matthew Matl.
#   Permission is hereby granted, free of charge, to any person obtaining a copy of this
#   software and associated documentation files (the "Software"), to deal in the Software
#   without restriction, including without limitation the rights to use, copy, modify,
#   merge, publish, distribute, sublicense, and/or sell copies of the Software, and to
#   permit persons to whom the Software is furnished to do so, subject to the following
#   conditions: The above copyright notice and this permission notice shall be included
#   in all copies or substantial portions of the Software. THE SOFTWARE IS PROVIDED "AS
#   IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO
#   THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
#   NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY
#   CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
#   OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR
#   OTHER DEALINGS IN THE SOFTWARE.
_FRAG = """#version 330 core
in vec3 frag_position;
in vec3 frag_normal;
in vec2 uv;
in vec4 light_position;
uniform vec4 base_color_factor;
uniform float metallic_factor;
uniform float roughness_factor;
uniform vec3 emissive_factor;
uniform bool has_base_tex;
uniform bool has_emissive_tex;
uniform sampler2D base_tex;
uniform sampler2D emissive_tex;
uniform vec3 cam_pos;
uniform vec3 light_dir;
uniform vec3 light_radiance;
uniform vec3 ambient_light;
uniform bool shadows;
uniform sampler2DShadow shadow_map;
out vec4 frag_color;
const float PI = 3.141592653589793;
const float min_roughness = 0.04;

vec3 srgb_to_linear(vec3 srgb) {
    vec3 b_less = step(vec3(0.04045), srgb);
    return mix(srgb / vec3(12.92), pow((srgb + vec3(0.055)) / vec3(1.055), vec3(2.4)), b_less);
}

void main() {
    float roughness = clamp(roughness_factor, min_roughness, 1.0);
    float metallic = clamp(metallic_factor, 0.0, 1.0);
    vec4 base_color = base_color_factor;
    if (has_base_tex) base_color.rgb *= srgb_to_linear(texture(base_tex, uv).rgb);
    vec3 c_diff = mix(vec3(0.0), base_color.rgb * (1.0 - min_roughness), 1.0 - metallic);
    vec3 f0 = mix(vec3(min_roughness), base_color.rgb, metallic);
    vec3 n = normalize(frag_normal);
    vec3 v = normalize(cam_pos - frag_position);
    vec3 l = normalize(-light_dir);
    vec3 h = normalize(l + v);
    float nl = clamp(dot(n, l), 0.001, 1.0);
    float nv = clamp(abs(dot(n, v)), 0.001, 1.0);
    float nh = clamp(dot(n, h), 0.0, 1.0);
    float vh = clamp(dot(v, h), 0.0, 1.0);
    vec3 F = f0 + (1.0 - f0) * pow(clamp(1.0 - vh, 0.0, 1.0), 5.0);
    float r = roughness + 1.0;
    float k = r * r / 8.0;
    float G = (nv / (nv * (1.0 - k) + k)) * (nl / (nl * (1.0 - k) + k));
    float a = roughness * roughness;
    float a2 = a * a;
    float denom = nh * nh * (a2 - 1.0) + 1.0;
    float D = a2 / (PI * denom * denom);
    vec3 diffuse = (1.0 - F) * c_diff / PI;
    vec3 spec = F * G * D / (4.0 * nl * nv + 0.001);
    float lit = 1.0;
    if (shadows) {  // pyrender's shadow_calc, one bilinear compare instead of nine
        vec4 p = light_position;
        vec3 c = p.xyz / p.w * 0.5 + 0.5;
        float bias = max(0.001 * (1.0 - clamp(dot(n, l), 0.0, 1.0)), 0.0001) / p.w;
        if (c.z <= 1.0) lit = texture(shadow_map, vec3(c.xy, c.z - bias));
    }
    vec3 color = lit * nl * light_radiance * (diffuse + spec);
    color += base_color.rgb * ambient_light;
    vec3 emissive = emissive_factor;
    if (has_emissive_tex) emissive *= srgb_to_linear(texture(emissive_tex, uv).rgb);
    color += emissive * emissive_factor;
    frag_color = clamp(vec4(pow(color, vec3(1.0 / 2.2)), base_color.a), 0.0, 1.0);
}
"""

# Slope-scaled depth offset of the shadow pass (glPolygonOffset factor, units), on top of
# pyrender's bias: pyrender's bias alone leaves acne stripes on curved casters lit at grazing
# angles. The pyrender engine applies the same offset to pyrender's shadow pass.
SHADOW_POLYGON_OFFSET = (2.0, 4.0)

_ID_VERT = """#version 330 core
layout(location = 0) in vec3 position;
uniform mat4 MVP;
void main() { gl_Position = MVP * vec4(position, 1.0); }
"""

_ID_FRAG = """#version 330 core
uniform float id;
out vec4 frag_color;
void main() { frag_color = vec4(id, id, 0.0, 1.0); }  // glColorMask picks R or G
"""


@dataclass
class Material:
    """pyrender's MetallicRoughnessMaterial, reduced to what the scene uses. Colours are floats."""

    base_color: tuple = (1.0, 1.0, 1.0, 1.0)
    base_texture: int | None = None  # GL texture name
    emissive: tuple = (0.0, 0.0, 0.0)
    emissive_texture: int | None = None
    metallic: float = 0.0
    roughness: float = 1.0
    receives_shadows: bool = True  # False for the sky: its light is emitted, and it lies outside the map


@dataclass
class Mesh:
    vao: int
    buffers: tuple
    count: int


def perspective(yfov: float, aspect: float, znear: float, zfar: float) -> np.ndarray:
    """pyrender's PerspectiveCamera projection matrix (yfov in radians)."""
    t = np.tan(yfov / 2.0)
    P = np.zeros((4, 4))
    P[0, 0] = 1.0 / (aspect * t)
    P[1, 1] = 1.0 / t
    P[3, 2] = -1.0
    P[2, 2] = (zfar + znear) / (znear - zfar)
    P[2, 3] = 2 * zfar * znear / (znear - zfar)
    return P


_current = None  # the GLRenderer whose context is current in this thread


class GLRenderer:
    """An offscreen context with an MSAA colour target, a small id target for coverage and a
    depth texture for the shadow map.

    size: the square image size in pixels; coverage_size: the id target's size; shadow_size:
    the shadow map's size.
    """

    def __init__(
        self,
        size: int,
        backend: str = "egl",
        samples: int = 4,
        coverage_size: int | None = None,
        shadow_size: int = 512,
    ):
        configure(backend)
        self.size = int(size)
        self.shadow_size = int(shadow_size)
        self.samples = int(samples)
        self.coverage_size = int(coverage_size or size)
        self._platform = create_platform(self.size, self.size, backend)
        try:
            self._init_gl()
        except Exception as exc:
            release_platform(self._platform)
            raise BackendError(
                f"the {backend.upper()} context cannot run the renderer "
                f"({type(exc).__name__}: {exc}); OpenGL 3.3 core is needed"
            ) from exc
        self._meshes: list[Mesh] = []
        self._textures: list[int] = []
        self.readback_seconds = 0.0  # of the last `render`

    def _use(self):
        """Make this renderer's context current (several renderers may live in one process)."""
        global _current
        if _current is not self:
            self._platform.make_current()
            _current = self

    # -- set-up ----------------------------------------------------------------------
    def _init_gl(self):
        from OpenGL import GL

        global _current
        _current = self
        self.GL = GL
        self._prog = _program(GL, _VERT, _FRAG)
        self._u = {
            n: GL.glGetUniformLocation(self._prog, n)
            for n in (
                "M",
                "VP",
                "base_color_factor",
                "metallic_factor",
                "roughness_factor",
                "emissive_factor",
                "has_base_tex",
                "has_emissive_tex",
                "base_tex",
                "emissive_tex",
                "cam_pos",
                "light_dir",
                "light_radiance",
                "ambient_light",
                "shadows",
                "light_matrix",
                "shadow_map",
            )
        }
        GL.glUseProgram(self._prog)
        GL.glUniform1i(self._u["base_tex"], 0)
        GL.glUniform1i(self._u["emissive_tex"], 1)
        GL.glUniform1i(self._u["shadow_map"], 2)
        self._id_prog = _program(GL, _ID_VERT, _ID_FRAG)
        self._id_u = {n: GL.glGetUniformLocation(self._id_prog, n) for n in ("MVP", "id")}
        s, c = self.size, self.coverage_size
        self._fb_ms = _framebuffer(GL, s, GL.GL_RGBA8, self.samples)
        self._fb = _framebuffer(GL, s, GL.GL_RGBA8, 0)
        self._fb_id = _framebuffer(GL, c, GL.GL_RG8, 0)
        self._fb_shadow, self._shadow_tex = _shadow_target(GL, self.shadow_size)
        self._shadow_on = False
        GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
        GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 1)
        GL.glEnable(GL.GL_DEPTH_TEST)
        GL.glDepthFunc(GL.GL_LESS)
        GL.glEnable(GL.GL_CULL_FACE)
        GL.glCullFace(GL.GL_BACK)

    def texture(self, img: np.ndarray) -> int:
        """Upload an (H, W, 3) uint8 sRGB image with mipmaps; returns the GL texture name."""
        GL = self.GL
        self._use()
        img = np.ascontiguousarray(np.flip(np.asarray(img, np.uint8)[..., :3], axis=0))
        tex = GL.glGenTextures(1)
        GL.glBindTexture(GL.GL_TEXTURE_2D, tex)
        GL.glTexImage2D(
            GL.GL_TEXTURE_2D, 0, GL.GL_RGB, img.shape[1], img.shape[0], 0, GL.GL_RGB, GL.GL_UNSIGNED_BYTE, img
        )
        GL.glGenerateMipmap(GL.GL_TEXTURE_2D)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MAG_FILTER, GL.GL_LINEAR)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR_MIPMAP_LINEAR)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_S, GL.GL_REPEAT)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_T, GL.GL_REPEAT)
        GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
        self._textures.append(tex)
        return tex

    def mesh(self, positions, normals, uv, indices) -> Mesh:
        """Upload a triangle mesh (float positions and normals (N, 3), uv (N, 2), indices (F, 3))."""
        GL = self.GL
        self._use()
        vao = GL.glGenVertexArrays(1)
        GL.glBindVertexArray(vao)
        bufs = GL.glGenBuffers(4)
        for loc, (buf, data) in enumerate(zip(bufs[:3], (positions, normals, uv))):
            data = np.ascontiguousarray(data, np.float32)
            GL.glBindBuffer(GL.GL_ARRAY_BUFFER, buf)
            GL.glBufferData(GL.GL_ARRAY_BUFFER, data.nbytes, data, GL.GL_STATIC_DRAW)
            GL.glEnableVertexAttribArray(loc)
            GL.glVertexAttribPointer(loc, data.shape[1], GL.GL_FLOAT, GL.GL_FALSE, 0, ctypes.c_void_p(0))
        idx = np.ascontiguousarray(indices, np.uint32)
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, bufs[3])
        GL.glBufferData(GL.GL_ELEMENT_ARRAY_BUFFER, idx.nbytes, idx, GL.GL_STATIC_DRAW)
        GL.glBindVertexArray(0)
        m = Mesh(int(vao), tuple(int(b) for b in bufs), int(idx.size))
        self._meshes.append(m)
        return m

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
        """Draw [(Mesh, 4x4 model matrix, Material)] and read the image back. Model matrices
        must be rigid motions times a uniform scale (normals use mat3(M)).

        shadow: None (no shadows), or (light view 4x4, light projection 4x4, casters
        [(Mesh, 4x4 model matrix)]): the casters are drawn into the shadow map first and
        every drawn surface receives their shadow.

        Returns (H, W, 3) uint8 and, with depth=True, pyrender-style linear depth
        (H, W) float32 with 0 for background; else None.
        """
        GL, u = self.GL, self._u
        s = self.size
        self._use()
        if shadow is not None:
            light_vp = shadow[1] @ shadow[0]
            self._shadow_pass(light_vp, shadow[2])
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._fb_ms[0])
        GL.glViewport(0, 0, s, s)
        GL.glClearColor(*background)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT | GL.GL_DEPTH_BUFFER_BIT)
        GL.glUseProgram(self._prog)
        GL.glUniformMatrix4fv(u["VP"], 1, GL.GL_TRUE, _f32(proj @ view))
        GL.glUniform3f(u["cam_pos"], *map(float, cam_pos))
        GL.glUniform3f(u["light_dir"], *map(float, light_dir))
        GL.glUniform3f(u["light_radiance"], *map(float, light_radiance))
        GL.glUniform3f(u["ambient_light"], *map(float, ambient))
        self._shadow_on = shadow is not None
        if shadow is not None:
            GL.glUniformMatrix4fv(u["light_matrix"], 1, GL.GL_TRUE, _f32(light_vp))
            GL.glActiveTexture(GL.GL_TEXTURE2)
            GL.glBindTexture(GL.GL_TEXTURE_2D, self._shadow_tex)
        last = None
        for mesh, model, mat in draws:
            GL.glUniformMatrix4fv(u["M"], 1, GL.GL_TRUE, _f32(model))
            if mat is not last:
                self._bind_material(mat)
                last = mat
            GL.glBindVertexArray(mesh.vao)
            GL.glDrawElements(GL.GL_TRIANGLES, mesh.count, GL.GL_UNSIGNED_INT, None)
        GL.glBindVertexArray(0)
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self._fb_ms[0])
        GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, self._fb[0])
        bits = GL.GL_COLOR_BUFFER_BIT | (GL.GL_DEPTH_BUFFER_BIT if depth else 0)
        GL.glBlitFramebuffer(0, 0, s, s, 0, 0, s, s, bits, GL.GL_NEAREST)
        GL.glFinish()  # rendering done: what follows is the copy to host memory
        t0 = time.perf_counter()
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self._fb[0])
        rgb = _read(GL, s, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE, np.uint8, 4)[..., :3]  # RGBA: the drivers' fast path
        z = None
        if depth:
            d = _read(GL, s, GL.GL_DEPTH_COMPONENT, GL.GL_FLOAT, np.float32, 1)[..., 0]
            z = _linear_depth(d, proj)
        self.readback_seconds = time.perf_counter() - t0
        return rgb, z

    def _shadow_pass(self, light_vp: np.ndarray, casters) -> None:
        """Depth of the casters seen from the light, into the shadow map (pyrender's shadow
        mapping pass, no colour, but with back faces culled: for closed meshes the nearest
        depth is a front face's either way, and the pass costs a third less on llvmpipe,
        where it is bound by triangles, not by the map's size)."""
        GL, u = self.GL, self._id_u
        n = self.shadow_size
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._fb_shadow)
        GL.glViewport(0, 0, n, n)
        GL.glClear(GL.GL_DEPTH_BUFFER_BIT)
        GL.glEnable(GL.GL_POLYGON_OFFSET_FILL)
        GL.glPolygonOffset(*SHADOW_POLYGON_OFFSET)
        GL.glUseProgram(self._id_prog)
        for mesh, model in casters:
            GL.glUniformMatrix4fv(u["MVP"], 1, GL.GL_TRUE, _f32(light_vp @ model))
            GL.glBindVertexArray(mesh.vao)
            GL.glDrawElements(GL.GL_TRIANGLES, mesh.count, GL.GL_UNSIGNED_INT, None)
        GL.glDisable(GL.GL_POLYGON_OFFSET_FILL)

    def _bind_material(self, mat: Material):
        GL, u = self.GL, self._u
        GL.glUniform1i(u["shadows"], self._shadow_on and mat.receives_shadows)
        GL.glUniform4f(u["base_color_factor"], *map(float, mat.base_color))
        GL.glUniform3f(u["emissive_factor"], *map(float, mat.emissive))
        GL.glUniform1f(u["metallic_factor"], float(mat.metallic))
        GL.glUniform1f(u["roughness_factor"], float(mat.roughness))
        GL.glUniform1i(u["has_base_tex"], mat.base_texture is not None)
        GL.glUniform1i(u["has_emissive_tex"], mat.emissive_texture is not None)
        if mat.base_texture is not None:
            GL.glActiveTexture(GL.GL_TEXTURE0)
            GL.glBindTexture(GL.GL_TEXTURE_2D, mat.base_texture)
        if mat.emissive_texture is not None:
            GL.glActiveTexture(GL.GL_TEXTURE1)
            GL.glBindTexture(GL.GL_TEXTURE_2D, mat.emissive_texture)

    def coverage(self, subject, occluders, view: np.ndarray, proj: np.ndarray) -> tuple[int, int]:
        """(subject pixels, subject pixels in front of every occluder) of the coverage target.

        subject, occluders: [(Mesh, 4x4 model matrix)]. The subject is drawn alone into R,
        then the occluders into G, depth-tested against the subject: a pixel with R and no G
        shows the subject with the occluders in the scene, exactly as one pass of both would.
        """
        full, seen = self.coverage_masks(subject, occluders, view, proj)
        return int(np.count_nonzero(full)), int(np.count_nonzero(seen))

    def coverage_masks(self, subject, occluders, view: np.ndarray, proj: np.ndarray):
        """The masks behind `coverage`: (subject pixels, subject pixels no occluder hides),
        boolean (coverage_size, coverage_size), top row first."""
        GL, u = self.GL, self._id_u
        c = self.coverage_size
        self._use()
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._fb_id[0])
        GL.glViewport(0, 0, c, c)
        GL.glClearColor(0.0, 0.0, 0.0, 0.0)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT | GL.GL_DEPTH_BUFFER_BIT)
        GL.glUseProgram(self._id_prog)
        GL.glUniform1f(u["id"], 1.0)
        vp = proj @ view
        for mask, draws in (((True, False), subject), ((False, True), occluders)):
            GL.glColorMask(*mask, False, False)
            for mesh, model in draws:
                GL.glUniformMatrix4fv(u["MVP"], 1, GL.GL_TRUE, _f32(vp @ model))
                GL.glBindVertexArray(mesh.vao)
                GL.glDrawElements(GL.GL_TRIANGLES, mesh.count, GL.GL_UNSIGNED_INT, None)
        GL.glColorMask(True, True, True, True)
        GL.glBindVertexArray(0)
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self._fb_id[0])
        ids = _read(GL, c, GL.GL_RG, GL.GL_UNSIGNED_BYTE, np.uint8, 2)
        subject_px = ids[..., 0] > 127
        return subject_px, subject_px & (ids[..., 1] <= 127)

    def close(self) -> None:
        global _current
        if self._platform is None:
            return
        GL = self.GL
        try:
            self._use()
            for m in self._meshes:
                GL.glDeleteBuffers(len(m.buffers), m.buffers)
                GL.glDeleteVertexArrays(1, [m.vao])
            if self._textures:
                GL.glDeleteTextures(self._textures)
            for fb in (self._fb_ms, self._fb, self._fb_id):
                GL.glDeleteFramebuffers(1, [fb[0]])
                GL.glDeleteRenderbuffers(2, list(fb[1:]))
            GL.glDeleteFramebuffers(1, [self._fb_shadow])
            GL.glDeleteTextures([self._shadow_tex])
            GL.glDeleteProgram(self._prog)
            GL.glDeleteProgram(self._id_prog)
        finally:
            release_platform(self._platform)
            self._platform = None
            _current = None
            self._meshes, self._textures = [], []


def _f32(m: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(m, np.float32)


def _program(GL, vert: str, frag: str) -> int:
    from OpenGL.GL import shaders

    return shaders.compileProgram(
        shaders.compileShader(vert, GL.GL_VERTEX_SHADER),
        shaders.compileShader(frag, GL.GL_FRAGMENT_SHADER),
        validate=False,
    )


def _framebuffer(GL, size: int, color_format, samples: int) -> tuple[int, int, int]:
    """(framebuffer, colour renderbuffer, depth renderbuffer) of size x size."""
    fb = GL.glGenFramebuffers(1)
    cb, db = GL.glGenRenderbuffers(2)
    for rb, fmt in ((cb, color_format), (db, GL.GL_DEPTH_COMPONENT24)):
        GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, rb)
        if samples:
            GL.glRenderbufferStorageMultisample(GL.GL_RENDERBUFFER, samples, fmt, size, size)
        else:
            GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, fmt, size, size)
    GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, fb)
    GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_RENDERBUFFER, cb)
    GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, GL.GL_DEPTH_ATTACHMENT, GL.GL_RENDERBUFFER, db)
    status = GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER)
    if status != GL.GL_FRAMEBUFFER_COMPLETE:
        raise RuntimeError(f"framebuffer incomplete (status 0x{int(status):x}, {samples} samples)")
    GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
    return int(fb), int(cb), int(db)


def _shadow_target(GL, size: int) -> tuple[int, int]:
    """(framebuffer, depth texture) for the shadow map: a depth compare texture with bilinear
    filtering (2x2 PCF in one lookup) and depth 1 (lit) outside it."""
    tex = GL.glGenTextures(1)
    GL.glBindTexture(GL.GL_TEXTURE_2D, tex)
    GL.glTexImage2D(
        GL.GL_TEXTURE_2D, 0, GL.GL_DEPTH_COMPONENT24, size, size, 0, GL.GL_DEPTH_COMPONENT, GL.GL_FLOAT, None
    )
    for key, value in (
        (GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR),
        (GL.GL_TEXTURE_MAG_FILTER, GL.GL_LINEAR),
        (GL.GL_TEXTURE_WRAP_S, GL.GL_CLAMP_TO_BORDER),
        (GL.GL_TEXTURE_WRAP_T, GL.GL_CLAMP_TO_BORDER),
        (GL.GL_TEXTURE_COMPARE_MODE, GL.GL_COMPARE_REF_TO_TEXTURE),
        (GL.GL_TEXTURE_COMPARE_FUNC, GL.GL_LEQUAL),
    ):
        GL.glTexParameteri(GL.GL_TEXTURE_2D, key, value)
    GL.glTexParameterfv(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_BORDER_COLOR, np.ones(4, np.float32))
    GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
    fb = GL.glGenFramebuffers(1)
    GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, fb)
    GL.glFramebufferTexture2D(GL.GL_FRAMEBUFFER, GL.GL_DEPTH_ATTACHMENT, GL.GL_TEXTURE_2D, tex, 0)
    GL.glDrawBuffer(GL.GL_NONE)
    GL.glReadBuffer(GL.GL_NONE)
    status = GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER)
    if status != GL.GL_FRAMEBUFFER_COMPLETE:
        raise RuntimeError(f"shadow framebuffer incomplete (status 0x{int(status):x})")
    GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
    return int(fb), int(tex)


def orthographic(xmag: float, ymag: float, znear: float, zfar: float) -> np.ndarray:
    """pyrender's OrthographicCamera projection matrix."""
    P = np.eye(4)
    P[0, 0], P[1, 1] = 1.0 / xmag, 1.0 / ymag
    P[2, 2] = 2.0 / (znear - zfar)
    P[2, 3] = (zfar + znear) / (znear - zfar)
    return P


def _read(GL, size: int, fmt, gltype, dtype, channels: int) -> np.ndarray:
    out = np.empty((size, size, channels), dtype)
    GL.glReadPixels(0, 0, size, size, fmt, gltype, out)
    return out[::-1]


def _linear_depth(d: np.ndarray, proj: np.ndarray) -> np.ndarray:
    """Window depth in [0, 1] -> eye-space distance along the view axis; 0 where nothing was drawn."""
    near = proj[2, 3] / (proj[2, 2] - 1.0)
    far = proj[2, 3] / (proj[2, 2] + 1.0)
    z = np.zeros_like(d)
    hit = d < 1.0
    ndc = 2.0 * d[hit] - 1.0
    z[hit] = 2.0 * near * far / (far + near - ndc * (far - near))
    return z
