// Drawing ground truth and predictions over a frame on a <canvas>, in frame pixels.
// Geometry comes from the server already in pixels (see server/services/overlays.py).

const LINE = 2;

function ringPath(path, flat) {
  if (flat.length < 4) return;
  path.moveTo(flat[0], flat[1]);
  for (let i = 2; i < flat.length; i += 2) path.lineTo(flat[i], flat[i + 1]);
  path.closePath();
}

function rotatedCorners(g) {
  // Encord: (x, y) is the top-left of the unrotated box; theta rotates clockwise about its centre.
  const cx = g.x + g.w / 2, cy = g.y + g.h / 2;
  const a = (g.theta * Math.PI) / 180, cos = Math.cos(a), sin = Math.sin(a);
  return [[-1, -1], [1, -1], [1, 1], [-1, 1]].map(([sx, sy]) => {
    const dx = (sx * g.w) / 2, dy = (sy * g.h) / 2;
    return [cx + dx * cos - dy * sin, cy + dx * sin + dy * cos];
  });
}

// A Path2D for hit testing and stroking, plus whether it encloses an area.
export function shapePath(g, scale = 1) {
  const path = new Path2D();
  const r = Math.max(3, 4 / scale);
  switch (g.type) {
    case "box":
    case "bitmask":
      path.rect(g.x, g.y, g.w, g.h);
      return { path, area: true };
    case "rotated_box": {
      const c = rotatedCorners(g);
      ringPath(path, c.flat());
      return { path, area: true };
    }
    case "polygon":
      for (const polygon of g.polygons) for (const ring of polygon) ringPath(path, ring);
      return { path, area: true };
    case "polyline":
      path.moveTo(g.points[0], g.points[1]);
      for (let i = 2; i < g.points.length; i += 2) path.lineTo(g.points[i], g.points[i + 1]);
      return { path, area: false };
    case "point":
      for (let i = 0; i < g.points.length; i += 2) {
        path.moveTo(g.points[i] + r, g.points[i + 1]);
        path.arc(g.points[i], g.points[i + 1], r, 0, 2 * Math.PI);
      }
      return { path, area: true };
    case "skeleton":
      for (const [a, b] of g.edges) {
        path.moveTo(g.points[2 * a], g.points[2 * a + 1]);
        path.lineTo(g.points[2 * b], g.points[2 * b + 1]);
      }
      for (let i = 0; i < g.points.length; i += 2) {
        path.moveTo(g.points[i] + r, g.points[i + 1]);
        path.arc(g.points[i], g.points[i + 1], r, 0, 2 * Math.PI);
      }
      return { path, area: false };
    default:
      return { path, area: false };
  }
}

const maskCache = new Map();
function maskImage(src) {
  let entry = maskCache.get(src);
  if (!entry) {
    entry = new Image();
    entry.src = src;
    maskCache.set(src, entry);
  }
  return entry;
}

function drawMask(ctx, g, colour) {
  const image = maskImage(g.mask);
  const paint = () => {
    const off = document.createElement("canvas");
    off.width = g.w;
    off.height = g.h;
    const o = off.getContext("2d");
    o.drawImage(image, 0, 0);
    o.globalCompositeOperation = "source-in";
    o.fillStyle = colour;
    o.fillRect(0, 0, g.w, g.h);
    ctx.save();
    ctx.globalAlpha = 0.45;
    ctx.drawImage(off, g.x, g.y);
    ctx.restore();
  };
  if (image.complete) paint();
  else return new Promise((resolve) => image.addEventListener("load", () => resolve(), { once: true }));
  return null;
}

// Draw every visible object; returns hit regions [{object, layer, path, area}] in draw order.
// `colourOf(object, layer)` picks the stroke colour. Pending bitmask images are awaited by the
// caller through the returned `pending` promises (it redraws once they load).
export function drawObjects(ctx, layers, { colourOf, visible, scale = 1, highlight = null }) {
  const regions = [];
  const pending = [];
  const width = Math.max(LINE, LINE / scale);
  for (const layer of layers) {
    for (const object of layer.objects) {
      if (!visible(object, layer)) continue;
      const colour = colourOf(object, layer);
      const { path, area } = shapePath(object.geometry, scale);
      ctx.save();
      ctx.strokeStyle = colour;
      ctx.lineWidth = object === highlight ? width * 2.5 : width;
      if (layer.kind !== "main") ctx.setLineDash([6 / scale + 2, 3 / scale + 1]);
      if (object.geometry.type === "bitmask") {
        const wait = drawMask(ctx, object.geometry, colour);
        if (wait) pending.push(wait);
      } else if (area && object.geometry.type !== "point") {
        ctx.fillStyle = colour + "26";
        ctx.fill(path, "evenodd");
      }
      if (object.geometry.type === "point" || object.geometry.type === "skeleton") {
        ctx.fillStyle = colour;
        ctx.fill(path);
      }
      ctx.stroke(path);
      ctx.restore();
      regions.push({ object, layer, path, area });
    }
  }
  return { regions, pending };
}

// The top-most region under (x, y) in frame pixels.
export function hitTest(ctx, regions, x, y, scale = 1) {
  ctx.save();
  ctx.lineWidth = Math.max(8, 8 / scale);
  for (let i = regions.length - 1; i >= 0; i--) {
    const r = regions[i];
    if ((r.area && ctx.isPointInPath(r.path, x, y, "evenodd")) || ctx.isPointInStroke(r.path, x, y)) {
      ctx.restore();
      return r;
    }
  }
  ctx.restore();
  return null;
}
