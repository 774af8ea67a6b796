import net from "node:net";

// The bench's HTTP client: one keep-alive HTTP/1.1 connection per simulated
// client, requests written as one string, responses read by their
// Content-Length (or chunked). The load generator shares the machine's two
// cores with the service and PostgreSQL; node's http client and agent cost
// ~0.33 ms of CPU a request here, which the service then could not use. This
// one does what wrk does and no more: it still reads every response whole,
// so statuses are checked and latencies measured to the last byte.

export interface Response {
  status: number;
  body: string;
}

const CRLF2 = Buffer.from("\r\n\r\n");

export class Connection {
  private socket: net.Socket | null = null;
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (r: Response) => void; reject: (e: Error) => void } | null = null;

  constructor(private readonly port: number, private readonly host = "127.0.0.1") {}

  private connect(): net.Socket {
    const socket = net.connect({ port: this.port, host: this.host });
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    const fail = (error: Error) => {
      this.socket = null;
      this.buffer = Buffer.alloc(0);
      const w = this.waiting;
      this.waiting = null;
      w?.reject(error);
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("connection closed")));
    this.socket = socket;
    return socket;
  }

  /** Sends one request and resolves with the whole response; one request at a time per connection. */
  request(method: string, path: string, headers: Record<string, string>, body: string | null): Promise<Response> {
    if (this.waiting) throw new Error("one request at a time on a connection");
    const socket = this.socket ?? this.connect();
    const length = body === null ? 0 : Buffer.byteLength(body);
    let head = `${method} ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nContent-Length: ${length}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      socket.write(`${head}\r\n${body ?? ""}`);
    });
  }

  private parse(): void {
    if (!this.waiting) return;
    const end = this.buffer.indexOf(CRLF2);
    if (end < 0) return;
    const head = this.buffer.subarray(0, end).toString("latin1");
    const status = Number(head.slice(9, 12));
    const lengthMatch = /\r\ncontent-length: *(\d+)/i.exec(head);
    let body: Buffer | null = null;
    let rest: Buffer;
    if (lengthMatch) {
      const total = end + 4 + Number(lengthMatch[1]);
      if (this.buffer.length < total) return;
      body = this.buffer.subarray(end + 4, total);
      rest = this.buffer.subarray(total);
    } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const parts: Buffer[] = [];
      let at = end + 4;
      for (;;) {
        const lineEnd = this.buffer.indexOf("\r\n", at);
        if (lineEnd < 0) return;
        const size = parseInt(this.buffer.subarray(at, lineEnd).toString("latin1"), 16);
        if (this.buffer.length < lineEnd + 2 + size + 2) return;
        if (size === 0) {
          at = lineEnd + 4;
          break;
        }
        parts.push(this.buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(parts);
      rest = this.buffer.subarray(at);
    } else {
      body = Buffer.alloc(0);
      rest = this.buffer.subarray(end + 4);
    }
    this.buffer = rest.length === 0 ? Buffer.alloc(0) : Buffer.from(rest);
    const w = this.waiting;
    this.waiting = null;
    w.resolve({ status, body: body.toString("utf8") });
    if (/\r\nconnection: *close/i.test(head)) this.close();
  }

  close(): void {
    const s = this.socket;
    this.socket = null;
    s?.removeAllListeners("close");
    s?.destroy();
  }
}
