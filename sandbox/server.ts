import { createServer, type Server } from 'node:http';
import type { SandboxConfig } from '../app/config.server';
import type { Log } from '../app/logger.server';

export type SandboxOptions = {
  config: SandboxConfig;
  dataDir: string;
  log: Log;
};

export type ShopOptions = { monitorUrl: string; storeSlug: string; apiKey: string };

export type RunningSandbox = {
  url: string;
  port: number;
  close: () => Promise<void>;
  /**
   * Called by the monitor after it created its demo store: the demo merchant's notification URL
   * (its webhooks go to the monitor) and the demo shop's link to the monitor's orders API.
   */
  configureDemo: (options: { webhookUrl: string; shop: ShopOptions }) => Promise<void>;
};

/** Starts the Iamport V1 emulator on its own port (filled in by the sandbox issue). */
export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const server: Server = createServer((_req, res) => {
    res.statusCode = 404;
    res.setHeader('Content-Type', 'application/json; charset=UTF-8');
    res.end(JSON.stringify({ code: -1, message: '존재하지 않는 경로입니다.', response: null }));
  });
  await new Promise<void>((resolve) => server.listen(options.config.port, options.config.host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.config.port;
  const url = `http://${options.config.host}:${port}`;
  options.log.info({ url }, 'sandbox listening');
  return {
    url,
    port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
    configureDemo: async () => {},
  };
}
