#!/usr/bin/env python3
"""Train "shapes-b": a small CLIP-style dual encoder on the synthetic coloured-shapes
dataset of tinyclip-shapes, and export it to ONNX.

shapes-b deliberately has a different shape from the bundled tinyclip-shapes model
(width 96 / 3 heads / MLP 384, vision patch 4 -> 64 patches + class token with 6 blocks,
text with 3 blocks, projection dim 48) so it can serve as an unseen evaluation model
for pruning code.  It shares tinyclip's data distribution, tokenizer and preprocessing,
so tinyclip's calib/ and eval/ folders can be used with it unchanged.

Self-contained: needs only torch (1.13+), numpy, onnx (for a structural check) and the
tinyclip folder (for tokenizer.json and the other tokenizer/preprocessor files; its eval/
folder is used for the reported zero-shot accuracy).

    python3 train-shapes-clip.py --tinyclip-dir ../shared/models/tinyclip-shapes \
        --out /work/models/shapes-b

The defaults build shapes-b; --width, --heads, --mlp, --vision-layers and --text-layers build
other shapes, like "shapes-c", a second unseen model (width 64 / 2 heads / MLP 256, 8 vision and
2 text blocks; dense zero-shot 0.777 on tinyclip's eval/ after the default 1000 steps):

    python3 train-shapes-clip.py --tinyclip-dir ../shared/models/tinyclip-shapes \
        --out /work/models/shapes-c --width 64 --heads 2 --mlp 256 --vision-layers 8 --text-layers 2

Everything is deterministic: every sample is a function of (split seed, index), torch is
seeded, and training runs on one CPU thread.
"""

import argparse
import json
import math
import os
import re
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# --------------------------------------------------------------------------------------
# Dataset: 32x32 RGB images of one coloured shape (see tinyclip-shapes/README.md)
# --------------------------------------------------------------------------------------

SIZES = ["small", "large"]
COLOURS = ["red", "green", "blue", "yellow", "purple", "white"]
SHAPES = ["circle", "square", "triangle", "cross", "ring", "diamond"]
POSITIONS = ["left", "right", "top", "bottom", "center"]
POSITION_PHRASES = {"left": "on the left", "right": "on the right", "top": "at the top",
                    "bottom": "at the bottom", "center": "in the center"}
TEMPLATE = "a {size} {colour} {shape} {pos}"

# Base RGB of each colour (jittered by +-18 per channel per sample).
COLOUR_RGB = {
    "red": (220, 40, 40), "green": (40, 190, 60), "blue": (50, 90, 230),
    "yellow": (228, 205, 45), "purple": (150, 60, 212), "white": (222, 222, 222),
}
IMG = 32          # image side in pixels
SS = 4            # supersampling factor of the anti-aliased masks
RADIUS = {"small": 4.6, "large": 8.2}   # nominal shape "radius" in pixels
NOISE_SIGMA = 5.0
COLOUR_JITTER = 18.0

NUM_CLASSES = len(SIZES) * len(COLOURS) * len(SHAPES) * len(POSITIONS)   # 360


def class_index(size, colour, shape, pos):
    """Row-major over (size, colour, shape, position), as in tinyclip eval/prompts.json."""
    return ((SIZES.index(size) * len(COLOURS) + COLOURS.index(colour)) * len(SHAPES)
            + SHAPES.index(shape)) * len(POSITIONS) + POSITIONS.index(pos)


def class_attrs(idx):
    pos = POSITIONS[idx % len(POSITIONS)]; idx //= len(POSITIONS)
    shape = SHAPES[idx % len(SHAPES)]; idx //= len(SHAPES)
    colour = COLOURS[idx % len(COLOURS)]; idx //= len(COLOURS)
    return SIZES[idx], colour, shape, pos


def caption(size, colour, shape, pos):
    return TEMPLATE.format(size=size, colour=colour, shape=shape, pos=POSITION_PHRASES[pos])


# Supersampled pixel-centre coordinates (x to the right, y downwards), in pixel units.
_C = (np.arange(IMG * SS, dtype=np.float32) + 0.5) / SS
_GX, _GY = np.meshgrid(_C, _C)


def shape_mask(shape, u, v, r):
    """Boolean inside-mask of a shape in its local (rotated) frame; r = nominal radius."""
    if shape == "circle":
        return u * u + v * v <= r * r
    if shape == "square":
        return np.maximum(np.abs(u), np.abs(v)) <= 0.88 * r
    if shape == "triangle":   # apex up, flat base
        top, bot, half = -0.85 * r, 0.80 * r, 0.92 * r
        t = (v - top) / (bot - top)          # 0 at apex, 1 at base
        return (t >= 0) & (t <= 1) & (np.abs(u) <= half * t)
    if shape == "cross":
        arm, th = 1.08 * r, 0.33 * r
        return (((np.abs(u) <= arm) & (np.abs(v) <= th)) |
                ((np.abs(v) <= arm) & (np.abs(u) <= th)))
    if shape == "ring":
        d2 = u * u + v * v
        return (d2 <= r * r) & (d2 >= (0.55 * r) ** 2)
    if shape == "diamond":    # taller than wide
        return np.abs(u) / (0.65 * r) + np.abs(v) / (1.0 * r) <= 1.0
    raise ValueError(shape)


def render(seed, index):
    """Render sample `index` of split `seed`: returns (uint8 HxWx3 image, class index)."""
    rng = np.random.default_rng([seed, index])
    cls = int(rng.integers(NUM_CLASSES))
    size, colour, shape, pos = class_attrs(cls)
    # plain dark grey, slightly tinted background
    grey = rng.uniform(20.0, 80.0)
    bg = grey + rng.uniform(-7.0, 7.0, size=3)
    # shape geometry: size jitter +-10 %, rotation jitter +-10 deg, position jitter
    r = RADIUS[size] * rng.uniform(0.9, 1.1)
    theta = math.radians(rng.uniform(-10.0, 10.0))
    off = 16.0 - (6.06 + 0.444 * RADIUS[size])     # distance of an off-centre shape from the centre
    cx, cy = {"left": (16.0 - off, 16.0), "right": (16.0 + off, 16.0),
              "top": (16.0, 16.0 - off), "bottom": (16.0, 16.0 + off),
              "center": (16.0, 16.0)}[pos]
    cx += rng.uniform(-1.5, 1.5)
    cy += rng.uniform(-1.5, 1.5)
    dx, dy = _GX - cx, _GY - cy
    c, s = math.cos(theta), math.sin(theta)
    u, v = c * dx + s * dy, -s * dx + c * dy
    m = shape_mask(shape, u, v, r).astype(np.float32)
    alpha = m.reshape(IMG, SS, IMG, SS).mean(axis=(1, 3))[..., None]   # anti-aliased coverage
    col = np.asarray(COLOUR_RGB[colour], np.float64) + rng.uniform(-COLOUR_JITTER, COLOUR_JITTER, size=3)
    img = bg[None, None, :] * (1.0 - alpha) + col[None, None, :] * alpha
    img = img + rng.normal(0.0, NOISE_SIGMA, size=img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), cls


# CLIP preprocessing (tinyclip preprocessor_config.json): rescale 1/255, normalise.
MEAN = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)


def preprocess(uint8_nhwc):
    x = uint8_nhwc.astype(np.float32) * np.float32(0.00392156862745098)
    x = (x - MEAN) / STD
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def make_batch(seed, start, n):
    imgs, labels = zip(*(render(seed, start + i) for i in range(n)))
    return np.stack(imgs), np.asarray(labels, np.int64)


# --------------------------------------------------------------------------------------
# Tokenizer: the WordLevel tokenizer of tinyclip's tokenizer.json, read with json
# --------------------------------------------------------------------------------------

class WordTokenizer:
    """Lowercase -> Whitespace pre-tokenizer (\\w+|[^\\w\\s]+) -> WordLevel ids,
    truncation to max_length (special tokens included), [BOS] $A [EOS], right padding
    with [PAD] to max_length, as tokenizer.json specifies."""

    def __init__(self, path):
        with open(path) as f:
            tj = json.load(f)
        self.vocab = tj["model"]["vocab"]
        self.unk = self.vocab[tj["model"]["unk_token"]]
        self.bos, self.eos = self.vocab["[BOS]"], self.vocab["[EOS]"]
        self.pad = tj["padding"]["pad_id"]
        self.max_len = tj["truncation"]["max_length"]
        assert tj["padding"]["strategy"]["Fixed"] == self.max_len

    def encode(self, text):
        words = re.findall(r"\w+|[^\w\s]+", text.lower())
        ids = [self.vocab.get(w, self.unk) for w in words][: self.max_len - 2]
        ids = [self.bos] + ids + [self.eos]
        mask = [1] * len(ids) + [0] * (self.max_len - len(ids))
        ids = ids + [self.pad] * (self.max_len - len(ids))
        return ids, mask

    def __call__(self, texts):
        enc = [self.encode(t) for t in texts]
        return (torch.tensor([e[0] for e in enc], dtype=torch.int64),
                torch.tensor([e[1] for e in enc], dtype=torch.int64))


# --------------------------------------------------------------------------------------
# Model: CLIP dual encoder with Hugging Face CLIPModel module names
# --------------------------------------------------------------------------------------

class CLIPAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.scale = self.head_dim ** -0.5
        self.q_proj, self.k_proj = nn.Linear(d, d), nn.Linear(d, d)
        self.v_proj, self.out_proj = nn.Linear(d, d), nn.Linear(d, d)

    def forward(self, x, mask=None):
        b, n, d = x.shape

        def split(t):   # [b, n, d] -> [b, heads, n, head_dim]
            return t.reshape(b, n, self.heads, self.head_dim).transpose(1, 2)

        q, k, v = split(self.q_proj(x) * self.scale), split(self.k_proj(x)), split(self.v_proj(x))
        att = torch.matmul(q, k.transpose(-1, -2))
        if mask is not None:
            att = att + mask
        att = att.softmax(dim=-1)
        out = torch.matmul(att, v).transpose(1, 2).reshape(b, n, d)
        return self.out_proj(out)


class CLIPMLP(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, hidden), nn.Linear(hidden, d)

    def forward(self, x):
        h = self.fc1(x)
        return self.fc2(h * torch.sigmoid(1.702 * h))   # quick_gelu


class CLIPEncoderLayer(nn.Module):
    """Pre-LN transformer block."""

    def __init__(self, d, heads, mlp, eps):
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(d, eps=eps)
        self.self_attn = CLIPAttention(d, heads)
        self.layer_norm2 = nn.LayerNorm(d, eps=eps)
        self.mlp = CLIPMLP(d, mlp)

    def forward(self, x, mask=None):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.mlp(self.layer_norm2(x))


class CLIPEncoder(nn.Module):
    def __init__(self, d, heads, mlp, n_layers, eps):
        super().__init__()
        self.layers = nn.ModuleList([CLIPEncoderLayer(d, heads, mlp, eps) for _ in range(n_layers)])

    def forward(self, x, mask=None):
        for layer in self.layers:
            x = layer(x, mask)
        return x


class CLIPVisionEmbeddings(nn.Module):
    def __init__(self, d, image_size, patch):
        super().__init__()
        self.class_embedding = nn.Parameter(torch.randn(d) * 0.02)
        self.patch_embedding = nn.Conv2d(3, d, kernel_size=patch, stride=patch, bias=False)
        self.num_positions = (image_size // patch) ** 2 + 1
        self.position_embedding = nn.Embedding(self.num_positions, d)
        self.register_buffer("position_ids", torch.arange(self.num_positions)[None], persistent=False)

    def forward(self, pixel_values):
        p = self.patch_embedding(pixel_values).flatten(2).transpose(1, 2)    # [b, 64, d]
        cls = self.class_embedding.reshape(1, 1, -1).expand(p.shape[0], 1, -1)
        return torch.cat([cls, p], dim=1) + self.position_embedding(self.position_ids)


class CLIPVisionTransformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, eps = cfg["vision_hidden"], cfg["layer_norm_eps"]
        self.embeddings = CLIPVisionEmbeddings(d, cfg["image_size"], cfg["patch_size"])
        self.pre_layrnorm = nn.LayerNorm(d, eps=eps)      # sic, as in HF
        self.encoder = CLIPEncoder(d, cfg["vision_heads"], cfg["vision_mlp"], cfg["vision_layers"], eps)
        self.post_layernorm = nn.LayerNorm(d, eps=eps)

    def forward(self, pixel_values):
        x = self.encoder(self.pre_layrnorm(self.embeddings(pixel_values)))
        return self.post_layernorm(x[:, 0, :])            # class token


class CLIPTextEmbeddings(nn.Module):
    def __init__(self, d, vocab, max_pos):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, d)
        self.position_embedding = nn.Embedding(max_pos, d)
        self.register_buffer("position_ids", torch.arange(max_pos)[None], persistent=False)

    def forward(self, input_ids):
        pos = self.position_ids[:, : input_ids.shape[1]]
        return self.token_embedding(input_ids) + self.position_embedding(pos)


class CLIPTextTransformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, eps = cfg["text_hidden"], cfg["layer_norm_eps"]
        self.eos_token_id = cfg["eos_token_id"]
        self.embeddings = CLIPTextEmbeddings(d, cfg["vocab_size"], cfg["max_position_embeddings"])
        self.encoder = CLIPEncoder(d, cfg["text_heads"], cfg["text_mlp"], cfg["text_layers"], eps)
        self.final_layer_norm = nn.LayerNorm(d, eps=eps)
        L = cfg["max_position_embeddings"]
        causal = torch.triu(torch.full((L, L), -1e9), diagonal=1)
        self.register_buffer("causal_mask", causal, persistent=False)

    def forward(self, input_ids, attention_mask):
        n = input_ids.shape[1]
        x = self.embeddings(input_ids)
        # causal mask + padding mask (additive, [b, 1, n, n])
        pad = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -1e9
        mask = self.causal_mask[:n, :n][None, None] + pad
        x = self.final_layer_norm(self.encoder(x, mask))
        # pool at the first EOS token (like HF CLIP with eos_token_id set)
        eos_pos = (input_ids == self.eos_token_id).to(torch.float32).argmax(dim=-1)
        idx = eos_pos[:, None, None].expand(-1, 1, x.shape[-1])
        return torch.gather(x, 1, idx).squeeze(1)


class CLIPModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.text_model = CLIPTextTransformer(cfg)
        self.vision_model = CLIPVisionTransformer(cfg)
        self.visual_projection = nn.Linear(cfg["vision_hidden"], cfg["projection_dim"], bias=False)
        self.text_projection = nn.Linear(cfg["text_hidden"], cfg["projection_dim"], bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(cfg["logit_scale_init"]))
        self._init_weights()

    def _init_weights(self):
        for name, p in self.named_parameters():
            if name.endswith("logit_scale") or "class_embedding" in name:
                continue
            if "layer_norm" in name or "layernorm" in name or "layrnorm" in name:
                nn.init.ones_(p) if name.endswith("weight") else nn.init.zeros_(p)
            elif name.endswith("bias"):
                nn.init.zeros_(p)
            else:
                nn.init.normal_(p, std=0.02)

    def get_image_features(self, pixel_values):
        return F.normalize(self.visual_projection(self.vision_model(pixel_values)), dim=-1)

    def get_text_features(self, input_ids, attention_mask):
        return F.normalize(self.text_projection(self.text_model(input_ids, attention_mask)), dim=-1)

    def forward(self, input_ids, pixel_values, attention_mask):
        text_embeds = self.get_text_features(input_ids, attention_mask)
        image_embeds = self.get_image_features(pixel_values)
        logits_per_image = self.logit_scale.exp() * image_embeds @ text_embeds.t()
        return logits_per_image, logits_per_image.t(), text_embeds, image_embeds


# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------

@torch.no_grad()
def zero_shot(model, tok, pixels_uint8_nhwc, labels):
    """Zero-shot accuracy over all 360 class prompts: full label and per attribute."""
    model.eval()
    prompts = [caption(*class_attrs(c)) for c in range(NUM_CLASSES)]
    t = model.get_text_features(*tok(prompts))
    preds = []
    for i in range(0, len(labels), 250):
        x = torch.from_numpy(preprocess(pixels_uint8_nhwc[i:i + 250]))
        preds.append((model.get_image_features(x) @ t.t()).argmax(-1))
    preds = torch.cat(preds).numpy()
    model.train()
    res = {"full": float(np.mean(preds == labels))}
    for k, name in enumerate(["size", "colour", "shape", "position"]):
        pa = np.array([class_attrs(p)[k] for p in preds])
        la = np.array([class_attrs(l)[k] for l in labels])
        res[name] = float(np.mean(pa == la))
    return res


def load_tinyclip_eval(eval_dir):
    """tinyclip eval/: pixels_uint8.npy [N,3,32,32] and labels.npy (same class order)."""
    px = np.load(os.path.join(eval_dir, "pixels_uint8.npy")).transpose(0, 2, 3, 1)
    labels = np.load(os.path.join(eval_dir, "labels.npy"))
    with open(os.path.join(eval_dir, "prompts.json")) as f:
        classes = json.load(f)["classes"]
    assert classes == [caption(*class_attrs(c)) for c in range(NUM_CLASSES)], "class order differs"
    return np.ascontiguousarray(px), labels


def fix_output_shapes(onnx_path, proj_dim):
    """torch.onnx.export leaves the embedding width of the outputs symbolic (from F.normalize's
    Div); write the static value (proj_dim) into the graph outputs, like tinyclip's model.onnx."""
    import onnx
    m = onnx.load(onnx_path)
    for out in m.graph.output:
        if out.name in ("text_embeds", "image_embeds"):
            dim = out.type.tensor_type.shape.dim[1]
            dim.Clear()
            dim.dim_value = proj_dim
    onnx.checker.check_model(m)
    onnx.save(m, onnx_path)


def write_readme(out, tinyclip_dir):
    """Write README.md from config.json and training_log.json of the output folder."""
    with open(os.path.join(out, "config.json")) as f:
        config = json.load(f)
    with open(os.path.join(out, "training_log.json")) as f:
        log = json.load(f)
    cfg, args, hist = config["torch_config"], log["args"], log["history"]
    fin = hist[-1]["tinyclip_eval"]
    stop_text = ("it stopped early." if log["stopped_early"] else
                 "that threshold was not reached, so the full cosine schedule ran.")
    rows = "\n".join(
        f"| {h['step']} | {h['val']['full']:.3f} | {h['tinyclip_eval']['full']:.3f} | "
        f"{h['tinyclip_eval']['size']:.3f} | {h['tinyclip_eval']['colour']:.3f} | "
        f"{h['tinyclip_eval']['shape']:.3f} | {h['tinyclip_eval']['position']:.3f} |" for h in hist)
    text = f"""# shapes-b

A small CLIP-style dual encoder trained from scratch on the synthetic coloured-shapes data of
`tinyclip-shapes`, exported to ONNX. It is a second, really trained evaluation model for pruning
code, deliberately of a different depth and width than tinyclip-shapes (different head count,
patch size, token count, projection size, and towers of unequal depth), and deliberately not
trained to 100 % so that pruning damage is measurable. Produced by `train-shapes-clip.py`
(in the folder above this one); rerunning it with the arguments below reproduces it.

## Architecture (module names as in Hugging Face CLIPModel)

- vision: `vision_model.embeddings.patch_embedding` Conv2d 3->{cfg['vision_hidden']}, kernel=stride={cfg['patch_size']} (no bias)
  -> {(cfg['image_size'] // cfg['patch_size']) ** 2} patches + `class_embedding`, `position_embedding` ({(cfg['image_size'] // cfg['patch_size']) ** 2 + 1} positions),
  `pre_layrnorm`, {cfg['vision_layers']} pre-LN blocks `vision_model.encoder.layers.{{i}}` (`layer_norm1`,
  `self_attn.{{q_proj,k_proj,v_proj,out_proj}}` {cfg['vision_heads']} heads of 32, `layer_norm2`, `mlp.fc1`
  {cfg['vision_hidden']}->{cfg['vision_mlp']}, quick_gelu, `mlp.fc2`), `post_layernorm` on the class token,
  `visual_projection` {cfg['vision_hidden']}->{cfg['projection_dim']} (no bias).
- text: `text_model.embeddings.token_embedding` ({cfg['vocab_size']} x {cfg['text_hidden']}), `position_embedding` ({cfg['max_position_embeddings']}),
  {cfg['text_layers']} pre-LN blocks `text_model.encoder.layers.{{i}}` (same structure, {cfg['text_heads']} heads, MLP {cfg['text_mlp']})
  with a causal mask plus the padding mask from `attention_mask`, `final_layer_norm`, pooling at the
  first EOS token (`input_ids == {cfg['eos_token_id']}`), `text_projection` {cfg['text_hidden']}->{cfg['projection_dim']} (no bias).
- `logit_scale` learned (exp = {config['logit_scale']:.2f}). {log['parameters']:,} parameters.
- Prunable by the default rule (weights inside transformer blocks): {6 * (cfg['vision_layers'] + cfg['text_layers'])} matrices
  (q/k/v/out, fc1, fc2 of {cfg['vision_layers']} vision + {cfg['text_layers']} text blocks),
  {(cfg['vision_layers'] + cfg['text_layers']) * (4 * cfg['vision_hidden'] ** 2 + 2 * cfg['vision_hidden'] * cfg['vision_mlp']):,} weights.

## Data

The same synthetic distribution as tinyclip-shapes (see its README): 32x32 RGB, one shape per image,
6 shapes x 6 colours x 2 sizes x 5 positions = 360 classes, caption `a {{size}} {{colour}} {{shape}} {{pos}}`
(`on the left` / `on the right` / `at the top` / `at the bottom` / `in the center`). The script
re-implements the renderer from that description (4x supersampled anti-aliased masks, plain dark
grey tinted background, Gaussian noise sigma 5, colour jitter +-18, size jitter +-10 %, rotation
jitter +-10 deg, position jitter); its images were compared visually and statistically (colour
means, shape extents, shape centres) with tinyclip's eval/ images. Every sample is a function of
(seed, index): training seed 1001, own validation seed 4004 (1000 images).

Tokenizer, preprocessing and side files are tinyclip's (copied unchanged): WordLevel vocabulary of
40, `[BOS] ... [EOS]`, right-padded with `[PAD]`=0 to 12; CLIP mean/std normalisation at 32x32.
The script checks that its tokenizer reproduces tinyclip's `calib/input_ids.npy` and
`calib/attention_mask.npy` exactly.

Calibration and evaluation data: use tinyclip's folders unchanged,
`{os.path.join(tinyclip_dir, 'calib')}` and `{os.path.join(tinyclip_dir, 'eval')}`.

## Training

Symmetric InfoNCE (samples with identical captions are positives of each other), AdamW (betas
0.9/0.98, eps 1e-6, weight decay 0.1 on non-embedding matrices), lr {args['lr']} with {args['warmup']}
warm-up steps then cosine decay planned over {args['steps']} steps, batch {args['batch']}, gradient clipping 1.0,
torch seed {args['seed']}, fp32 on CPU with {args['threads']} thread. Training stops at the first evaluation
(every {args['eval_every']} steps) whose zero-shot accuracy on the own validation split reaches {args['stop_acc']}
(to leave headroom for measuring pruning damage); {stop_text} Trained for {hist[-1]['step']} steps
({hist[-1]['step'] * args['batch']:,} freshly rendered samples) in {log['train_time_s'] / 60:.1f} min wall time
(including evaluations; Debian python3-torch 1.13.1 with OpenBLAS serial, one thread).

Command: `python3 train-shapes-clip.py --tinyclip-dir <tinyclip-shapes> --out <folder> --steps {args['steps']}
--batch {args['batch']} --eval-every {args['eval_every']} --stop-acc {args['stop_acc']}` (these are the defaults).

Zero-shot accuracy during training (`val`: own validation split; the other columns: tinyclip's eval/):

| step | val full | eval full | size | colour | shape | position |
|---|---|---|---|---|---|---|
{rows}

## Measured dense zero-shot accuracy on tinyclip eval/ (1000 held-out images)

| metric | value |
|---|---|
| zero_shot_acc | {fin['full']:.4f} |
| zero_shot_acc_size | {fin['size']:.4f} |
| zero_shot_acc_colour | {fin['colour']:.4f} |
| zero_shot_acc_shape | {fin['shape']:.4f} |
| zero_shot_acc_position | {fin['position']:.4f} |

## ONNX export

`model.onnx`: torch.onnx.export, opset 14, constant folding on, fp32. Node names follow module
paths (e.g. `/vision_model/encoder/layers.0/self_attn/q_proj/MatMul`); Linear weights on 3-D
activations are folded `onnx::MatMul_<n>` initializers holding W^T ([in, out]).

| | name | dtype | shape |
|---|---|---|---|
| input | `input_ids` | int64 | [text_batch_size, sequence_length] |
| input | `pixel_values` | float | [image_batch_size, 3, 32, 32] |
| input | `attention_mask` | int64 | [text_batch_size, sequence_length] |
| output | `logits_per_image` | float | [image_batch_size, text_batch_size] |
| output | `logits_per_text` | float | [text_batch_size, image_batch_size] |
| output | `text_embeds` | float | [text_batch_size, {cfg['projection_dim']}] |
| output | `image_embeds` | float | [image_batch_size, {cfg['projection_dim']}] |

`logits_per_image[i, j] = exp(logit_scale) * <image_embeds[i], text_embeds[j]>`, `logits_per_text`
is its transpose; both embeddings are L2-normalised. Also in this folder: `pytorch_model.bin`
(torch state dict), `training_log.json`, `config.json`.
"""
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(text)


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output folder (model.onnx, README.md, tokenizer files)")
    ap.add_argument("--tinyclip-dir", required=True, help="tinyclip-shapes folder (tokenizer + eval/)")
    ap.add_argument("--steps", type=int, default=1000, help="maximum training steps")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--eval-every", type=int, default=50)
    ap.add_argument("--stop-acc", type=float, default=0.95,
                    help="stop at the first evaluation whose validation zero-shot accuracy (own "
                         "held-out split, seed 4004) reaches this value (keeps pruning headroom); "
                         "<= 0 or > 1 disables")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--width", type=int, default=96, help="hidden width of both towers")
    ap.add_argument("--heads", type=int, default=3, help="attention heads per block")
    ap.add_argument("--mlp", type=int, default=384, help="MLP hidden width")
    ap.add_argument("--vision-layers", type=int, default=6)
    ap.add_argument("--text-layers", type=int, default=3)
    ap.add_argument("--readme-only", action="store_true",
                    help="only (re)write README.md from config.json and training_log.json in --out")
    args = ap.parse_args()
    if args.readme_only:
        write_readme(args.out, args.tinyclip_dir)
        return 0

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    cfg = {
        "image_size": 32, "patch_size": 4, "num_channels": 3,
        "vision_hidden": args.width, "vision_layers": args.vision_layers, "vision_heads": args.heads,
        "vision_mlp": args.mlp,
        "text_hidden": args.width, "text_layers": args.text_layers, "text_heads": args.heads, "text_mlp": args.mlp,
        "vocab_size": 40, "max_position_embeddings": 12, "projection_dim": 48,
        "layer_norm_eps": 1e-5, "pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2,
        "text_pooling": "eos_token", "logit_scale_init": math.log(1 / 0.07),
    }

    tok = WordTokenizer(os.path.join(args.tinyclip_dir, "tokenizer.json"))
    assert len(tok.vocab) == cfg["vocab_size"] and tok.eos == cfg["eos_token_id"]
    # The tokenizer must reproduce tinyclip's calib tensors exactly.
    calib_dir = os.path.join(args.tinyclip_dir, "calib")
    with open(os.path.join(calib_dir, "captions.jsonl")) as f:
        calib_caps = [json.loads(l)["text"] for l in f]
    ids, mask = tok(calib_caps)
    assert np.array_equal(ids.numpy(), np.load(os.path.join(calib_dir, "input_ids.npy")))
    assert np.array_equal(mask.numpy(), np.load(os.path.join(calib_dir, "attention_mask.npy")))
    print("tokenizer check: ids/mask equal tinyclip calib tensors; e.g.", calib_caps[0], "->",
          ids[0].tolist(), flush=True)

    ev_px, ev_labels = load_tinyclip_eval(os.path.join(args.tinyclip_dir, "eval"))
    val_px, val_labels = make_batch(4004, 0, 1000)        # own held-out validation split

    model = CLIPModel(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"parameters: {n_params:,}", flush=True)

    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "embedding" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "embedding" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-6)

    def lr_at(step):
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        t = (step - args.warmup) / max(1, args.steps - args.warmup)
        return args.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))

    history = []
    t0 = time.time()
    step = 0
    stopped_early = False
    for step in range(args.steps + 1):
        if step % args.eval_every == 0 or step == args.steps:
            v = zero_shot(model, tok, val_px, val_labels)
            e = zero_shot(model, tok, ev_px, ev_labels)
            history.append({"step": step, "val": v, "tinyclip_eval": e,
                            "logit_scale_exp": float(model.logit_scale.exp()),
                            "elapsed_s": round(time.time() - t0, 1)})
            print(f"step {step:4d}  val {v['full']:.3f}  tinyclip-eval {e['full']:.3f} "
                  f"(size {e['size']:.3f} colour {e['colour']:.3f} shape {e['shape']:.3f} "
                  f"pos {e['position']:.3f})  scale {model.logit_scale.exp().item():.2f}  "
                  f"{time.time() - t0:.0f}s", flush=True)
            if 0 < args.stop_acc <= 1 and v["full"] >= args.stop_acc:
                stopped_early = step < args.steps
                break
            if step == args.steps:
                break
        # one training step on freshly rendered samples (train seed 1001)
        imgs, labels = make_batch(1001, step * args.batch, args.batch)
        pix = torch.from_numpy(preprocess(imgs))
        ids, am = tok([caption(*class_attrs(c)) for c in labels])
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        lpi, lpt, _, _ = model(ids, pix, am)
        # symmetric InfoNCE; samples with identical captions are positives of each other
        lab = torch.from_numpy(labels)
        pos = (lab[:, None] == lab[None, :]).float()
        target = pos / pos.sum(1, keepdim=True)
        loss = 0.5 * (torch.sum(-target * F.log_softmax(lpi, -1), -1).mean()
                      + torch.sum(-target * F.log_softmax(lpt, -1), -1).mean())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        if step % 10 == 0:
            print(f"  step {step:4d} loss {loss.item():.4f} lr {lr_at(step):.2e}", flush=True)
    train_time = time.time() - t0
    final = history[-1]
    print(f"training done at step {final['step']} in {train_time:.0f}s", flush=True)
    torch.save(model.state_dict(), os.path.join(args.out, "pytorch_model.bin"))

    # ---------------------------------------------------------------- ONNX export
    model.eval()
    onnx_path = os.path.join(args.out, "model.onnx")
    ex_ids, ex_mask = tok(["a small red circle on the left", "a large blue ring at the top"])
    ex_pix = torch.from_numpy(preprocess(val_px[:3]))
    with torch.no_grad():
        ref = model(ex_ids, ex_pix, ex_mask)
    torch.onnx.export(
        model, (ex_ids, ex_pix, ex_mask), onnx_path, opset_version=14, do_constant_folding=True,
        input_names=["input_ids", "pixel_values", "attention_mask"],
        output_names=["logits_per_image", "logits_per_text", "text_embeds", "image_embeds"],
        dynamic_axes={
            "input_ids": {0: "text_batch_size", 1: "sequence_length"},
            "pixel_values": {0: "image_batch_size"},
            "attention_mask": {0: "text_batch_size", 1: "sequence_length"},
            "logits_per_image": {0: "image_batch_size", 1: "text_batch_size"},
            "logits_per_text": {0: "text_batch_size", 1: "image_batch_size"},
            "text_embeds": {0: "text_batch_size"},
            "image_embeds": {0: "image_batch_size"},
        })
    try:
        import onnx
        fix_output_shapes(onnx_path, cfg["projection_dim"])
        m = onnx.load(onnx_path)
        onnx.checker.check_model(m)
        ops = sorted({n.op_type for n in m.graph.node})
        print("onnx ok; ops:", ", ".join(ops), flush=True)
    except ImportError:
        print("onnx not installed; skipped the structural check", flush=True)
    try:   # optional numerical check
        import onnxruntime as ort
        sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        out = sess.run(None, {"input_ids": ex_ids.numpy(), "pixel_values": ex_pix.numpy(),
                              "attention_mask": ex_mask.numpy()})
        print("onnxruntime max |diff|:", max(float(np.abs(o - r.numpy()).max()) for o, r in zip(out, ref)))
    except ImportError:
        pass

    # ---------------------------------------------------------------- side files
    for name in ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                 "preprocessor_config.json"]:
        shutil.copyfile(os.path.join(args.tinyclip_dir, name), os.path.join(args.out, name))
    config = {
        "model_type": "clip", "architectures": ["CLIPModel"], "name": "shapes-b",
        "projection_dim": cfg["projection_dim"], "logit_scale": float(model.logit_scale.exp()),
        "text_config": {
            "hidden_size": cfg["text_hidden"], "intermediate_size": cfg["text_mlp"],
            "num_hidden_layers": cfg["text_layers"], "num_attention_heads": cfg["text_heads"],
            "max_position_embeddings": cfg["max_position_embeddings"], "vocab_size": cfg["vocab_size"],
            "hidden_act": "quick_gelu", "layer_norm_eps": cfg["layer_norm_eps"],
            "pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2, "pooling": "eos_token"},
        "vision_config": {
            "hidden_size": cfg["vision_hidden"], "intermediate_size": cfg["vision_mlp"],
            "num_hidden_layers": cfg["vision_layers"], "num_attention_heads": cfg["vision_heads"],
            "image_size": cfg["image_size"], "patch_size": cfg["patch_size"], "num_channels": 3,
            "hidden_act": "quick_gelu", "layer_norm_eps": cfg["layer_norm_eps"]},
        "onnx_opset": 14, "torch_seed": args.seed, "train_steps": final["step"],
        "torch_config": cfg,
    }
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    with open(os.path.join(args.out, "training_log.json"), "w") as f:
        json.dump({"args": vars(args), "parameters": n_params, "train_time_s": round(train_time, 1),
                   "stopped_early": stopped_early, "history": history}, f, indent=1)
    write_readme(args.out, args.tinyclip_dir)
    print("wrote", args.out, flush=True)


if __name__ == "__main__":
    sys.exit(main())
