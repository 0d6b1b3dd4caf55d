/** The reference connector, catching up as the real ones do: once started, it hands over what its network said meanwhile. */
import { type ConnectorHost, ReferenceConnector, type ReferenceNetwork, type RefMessage } from "../src/index.ts";

export class CatchingUpConnector extends ReferenceConnector {
  private readonly refNet: ReferenceNetwork;
  private readonly backlog: readonly RefMessage[];

  constructor(net: ReferenceNetwork, backlog: readonly RefMessage[]) {
    super(net);
    this.refNet = net;
    this.backlog = backlog;
  }

  override async start(host: ConnectorHost): Promise<void> {
    await super.start(host);
    for (const message of this.backlog) this.refNet.emit("event", { type: "message", message });
  }
}
