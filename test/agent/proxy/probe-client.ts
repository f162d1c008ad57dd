/**
 * Makes COUNT fresh connections (or UDP exchanges) to HOST:PORT from inside a
 * client network namespace and prints one JSON array: for each attempt the
 * line the endpoint answered, or the error code and how long failing took.
 *
 * Usage: node probe-client.ts tcp|udp HOST PORT COUNT [TIMEOUT_MS]
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

interface Attempt {
  body?: string;
  error?: string;
  ms: number;
}

const [proto = 'tcp', host = '127.0.0.1', port = '80', count = '1', timeout = '3000'] = process.argv.slice(2);
const timeoutMs = Number(timeout);

function tcpOnce(): Promise<Attempt> {
  const started = Date.now();
  return new Promise((resolve) => {
    let body = '';
    const socket = connect({ host, port: Number(port) });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ error: 'TIMEOUT', ms: Date.now() - started });
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (body += chunk));
    socket.on('end', () => {
      clearTimeout(timer);
      resolve({ body: body.trim(), ms: Date.now() - started });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ error: err.code ?? err.message, ms: Date.now() - started });
    });
  });
}

function udpOnce(): Promise<Attempt> {
  const started = Date.now();
  return new Promise((resolve) => {
    // A fresh socket (source port) each time: a new conntrack entry, so a new load-balancing decision.
    const socket = createSocket('udp4');
    const finish = (a: Attempt) => {
      clearTimeout(timer);
      socket.close();
      resolve(a);
    };
    const timer = setTimeout(() => finish({ error: 'TIMEOUT', ms: Date.now() - started }), timeoutMs);
    socket.on('message', (msg) => finish({ body: msg.toString('utf8').trim(), ms: Date.now() - started }));
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? err.message, ms: Date.now() - started }));
    socket.connect(Number(port), host, () => socket.send('ping'));
  });
}

const results: Attempt[] = [];
for (let i = 0; i < Number(count); i++) results.push(await (proto === 'udp' ? udpOnce() : tcpOnce()));
process.stdout.write(`${JSON.stringify(results)}\n`);
