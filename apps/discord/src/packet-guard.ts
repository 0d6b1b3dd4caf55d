/**
 * discord.js believes the gateway: a payload of the wrong shape (a field that
 * is not the array it expects, say) throws inside its websocket handler,
 * where nothing catches it, and the whole process ends. Here each packet is
 * handled on its own: one that discord.js cannot read is skipped, and said.
 */
import type { Client } from "discord.js";

interface PacketHandling {
  handlePacket?: (packet: { t?: unknown } | undefined, shard: unknown) => boolean;
}

export function guardPackets(client: Client, onSkipped: (type: string, error: unknown) => void): void {
  const ws = client.ws as unknown as PacketHandling;
  const handle = ws.handlePacket?.bind(ws);
  if (!handle) return;
  ws.handlePacket = (packet, shard) => {
    try {
      return handle(packet, shard);
    } catch (e) {
      onSkipped(typeof packet?.t === "string" ? packet.t : "unknown", e);
      return false;
    }
  };
}
