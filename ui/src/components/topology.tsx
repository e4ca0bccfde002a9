import type { ReactElement } from 'react';
import type { MeshPeerInfo } from '../types.js';

const WIDTH = 640;
const HEIGHT = 400;

export interface TopologyNode {
  readonly id: string;
  readonly name: string;
  readonly x: number;
  readonly y: number;
}

/** Where each node sits: this node in the middle, its peers on a circle around it. */
export function layoutTopology(
  self: { nodeId: string; name: string },
  peers: readonly MeshPeerInfo[],
): { self: TopologyNode; peers: (TopologyNode & { peer: MeshPeerInfo })[] } {
  const cx = WIDTH / 2;
  const cy = HEIGHT / 2;
  const radius = Math.min(WIDTH, HEIGHT) / 2 - 60;
  const sorted = [...peers].sort((a, b) => a.name.localeCompare(b.name) || a.nodeId.localeCompare(b.nodeId));
  return {
    self: { id: self.nodeId, name: self.name, x: cx, y: cy },
    peers: sorted.map((peer, i) => {
      const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, sorted.length);
      return {
        id: peer.nodeId,
        name: peer.name,
        x: Math.round(cx + radius * Math.cos(angle)),
        y: Math.round(cy + radius * Math.sin(angle)),
        peer,
      };
    }),
  };
}

/** The link's words: `direct · 3 ms`, `relayed`, `not connected: unreachable`. */
export function linkText(peer: MeshPeerInfo): string {
  if (!peer.connected) return `not connected: ${peer.reason ?? 'unknown'}`;
  const rtt = peer.rttMs === null ? '' : ` · ${Math.round(peer.rttMs)} ms`;
  return `${peer.transport ?? 'connected'}${rtt}`;
}

/**
 * The mesh as this node sees it: a link to every peer it knows, solid when connected (labelled with
 * the transport and round-trip time), dashed when not (labelled with why).
 */
export function Topology(props: {
  self: { nodeId: string; name: string };
  peers: readonly MeshPeerInfo[];
}): ReactElement {
  const layout = layoutTopology(props.self, props.peers);
  const connected = props.peers.filter((p) => p.connected).length;
  return (
    <svg
      className="topology"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={`Mesh topology: this node and ${props.peers.length} peer(s), ${connected} connected`}
    >
      {layout.peers.map((n) => (
        <g
          key={`link-${n.id}`}
          className={`link ${n.peer.connected ? `up ${n.peer.transport ?? ''}` : 'down'}`}
        >
          <line x1={layout.self.x} y1={layout.self.y} x2={n.x} y2={n.y} />
          <text x={(layout.self.x + n.x) / 2} y={(layout.self.y + n.y) / 2 - 6} textAnchor="middle">
            {linkText(n.peer)}
          </text>
        </g>
      ))}
      <g className="node self" data-node-id={layout.self.id}>
        <circle cx={layout.self.x} cy={layout.self.y} r={26} />
        <text x={layout.self.x} y={layout.self.y + 44} textAnchor="middle">
          {layout.self.name} (this node)
        </text>
      </g>
      {layout.peers.map((n) => (
        <g key={`node-${n.id}`} className={`node ${n.peer.connected ? 'up' : 'down'}`} data-node-id={n.id}>
          <title>{`${n.name} (${n.id}): ${linkText(n.peer)}`}</title>
          <circle cx={n.x} cy={n.y} r={20} />
          <text x={n.x} y={n.y + 36} textAnchor="middle">
            {n.name}
          </text>
        </g>
      ))}
    </svg>
  );
}
