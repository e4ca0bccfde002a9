import type { ReactElement } from 'react';
import { useMemo } from 'react';
import QRCode from 'qrcode';

/** The dark modules of a QR code for `text`, as one SVG path (a 1×1 square per module). */
export function qrPath(text: string): { size: number; path: string } {
  const code = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const { size, data } = code.modules;
  let path = '';
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (data[row * size + col]) path += `M${col} ${row}h1v1h-1z`;
    }
  }
  return { size, path };
}

/** A QR code drawn as SVG (no canvas, no inline styles: the panel's CSP allows it). */
export function QrCode(props: { text: string; label: string }): ReactElement {
  const { size, path } = useMemo(() => qrPath(props.text), [props.text]);
  const quiet = 4;
  const box = size + quiet * 2;
  return (
    <svg
      className="qr"
      role="img"
      aria-label={props.label}
      viewBox={`${-quiet} ${-quiet} ${box} ${box}`}
      shapeRendering="crispEdges"
    >
      <rect x={-quiet} y={-quiet} width={box} height={box} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
