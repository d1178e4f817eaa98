// The app's icons, drawn here as PNGs (no image files, no image library):
// the parking sign's white "P" on blue, with a green dot for "spaces free
// now". Words-free, so one set serves both languages. "any" icons are a
// rounded square on transparency; "maskable" ones fill the square and keep
// the sign inside the central circle (radius 40 %) that every mask leaves.
import { crc32, deflateSync } from 'node:zlib';

export type IconPurpose = 'any' | 'maskable';

/** The sizes served (px), and what each is for: the manifest's 192 and 512, Apple's 180 (opaque, so maskable-style). */
export const ICONS = {
  'icon-192.png': { size: 192, purpose: 'any' },
  'icon-512.png': { size: 512, purpose: 'any' },
  'maskable-192.png': { size: 192, purpose: 'maskable' },
  'maskable-512.png': { size: 512, purpose: 'maskable' },
  'apple-touch-icon.png': { size: 180, purpose: 'maskable' },
} as const satisfies Record<string, { size: number; purpose: IconPurpose }>;

type Rgba = readonly [number, number, number, number];
const BLUE: Rgba = [0x15, 0x65, 0xc0, 255];
const WHITE: Rgba = [255, 255, 255, 255];
const GREEN: Rgba = [0x1a, 0x7f, 0x37, 255];
const NONE: Rgba = [0, 0, 0, 0];

const inCircle = (x: number, y: number, cx: number, cy: number, r: number) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const inRect = (x: number, y: number, x0: number, y0: number, x1: number, y1: number) => x >= x0 && x <= x1 && y >= y0 && y <= y1;

/** The sign in its own unit box (u right, v down): a "P" (stem and bowl) and the dot at its foot. */
function glyph(u: number, v: number): Rgba | undefined {
  const x = u + 0.03; // the P's ink spans 0.22–0.84: centred
  if (inCircle(x, v, 0.78, 0.8, 0.1)) return GREEN;
  if (inCircle(x, v, 0.78, 0.8, 0.14)) return WHITE;
  const stem = inRect(x, v, 0.22, 0.12, 0.42, 0.88);
  const bowl = (inRect(x, v, 0.22, 0.12, 0.56, 0.68) || inCircle(x, v, 0.56, 0.4, 0.28))
    && !(inRect(x, v, 0.42, 0.3, 0.56, 0.5) || inCircle(x, v, 0.56, 0.4, 0.1));
  return stem || bowl ? WHITE : undefined;
}

/** Where the sign's unit box sits in the icon: its offset and size. */
const SIGN_BOX: Record<IconPurpose, { at: number; size: number }> = { maskable: { at: 0.19, size: 0.62 }, any: { at: 0.14, size: 0.72 } };

/** The colour at a point of the icon's unit square. */
function sample(x: number, y: number, purpose: IconPurpose): Rgba {
  const { at: box, size } = SIGN_BOX[purpose];
  if (purpose === 'any') {
    // A rounded square from 0.06 to 0.94, corners of radius 0.18.
    const r = 0.18;
    const cx = Math.min(Math.max(x, 0.06 + r), 0.94 - r);
    const cy = Math.min(Math.max(y, 0.06 + r), 0.94 - r);
    if (!inRect(x, y, 0.06, 0.06, 0.94, 0.94) || !inCircle(x, y, cx, cy, r)) return NONE;
  }
  return glyph((x - box) / size, (y - box) / size) ?? BLUE;
}

/**
 * The icon's pixels (RGBA rows). A pixel whose four corners have one colour
 * is that colour; one on an edge is the mean of 4 × 4 samples, so edges are
 * smooth (the shapes are far wider than a pixel: no detail hides between corners).
 */
function draw(size: number, purpose: IconPurpose): Buffer {
  const n = 4;
  const pixels = Buffer.alloc(size * size * 4);
  const corners: Rgba[] = [];
  for (let cy = 0; cy <= size; cy++) for (let cx = 0; cx <= size; cx++) corners.push(sample(cx / size, cy / size, purpose));
  const corner = (cx: number, cy: number) => corners[cy * (size + 1) + cx]!;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const at = (py * size + px) * 4;
      const c = corner(px, py);
      if (c === corner(px + 1, py) && c === corner(px, py + 1) && c === corner(px + 1, py + 1)) {
        pixels.set(c, at);
        continue;
      }
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const s = sample((px + (sx + 0.5) / n) / size, (py + (sy + 0.5) / n) / size, purpose);
          // Colours weighted by their opacity, so a white edge on transparency does not darken.
          r += s[0] * s[3]; g += s[1] * s[3]; b += s[2] * s[3]; a += s[3];
        }
      }
      pixels[at] = a ? Math.round(r / a) : 0;
      pixels[at + 1] = a ? Math.round(g / a) : 0;
      pixels[at + 2] = a ? Math.round(b / a) : 0;
      pixels[at + 3] = Math.round(a / (n * n));
    }
  }
  return pixels;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG (8-bit RGBA, no filtering) of these pixels. */
export function encodePng(size: number, pixels: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type 6 (RGBA), deflate, no filter method, no interlace
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) pixels.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const drawn = new Map<string, Buffer>();

/** An icon's PNG, drawn on first use. */
export function iconPng(name: keyof typeof ICONS): Buffer {
  let png = drawn.get(name);
  if (!png) {
    const { size, purpose } = ICONS[name];
    png = encodePng(size, draw(size, purpose));
    drawn.set(name, png);
  }
  return png;
}
