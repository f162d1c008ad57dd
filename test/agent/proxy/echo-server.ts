/**
 * A TCP and UDP endpoint for the proxy tests, run inside an endpoint's
 * network namespace: every TCP connection and every UDP datagram gets one
 * line back, `<name> <peer address>`, so a test sees which endpoint answered
 * and what source address it saw. Prints `listening` when both sockets are bound.
 *
 * Usage: node echo-server.ts NAME TCP_PORT UDP_PORT
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

const [name = 'endpoint', tcpPort = '8080', udpPort = '8053'] = process.argv.slice(2);
let bound = 0;
const ready = () => {
  if (++bound === 2) process.stdout.write('listening\n');
};
createServer((socket) => {
  socket.on('error', () => {});
  socket.end(`${name} ${socket.remoteAddress ?? '?'}\n`);
}).listen(Number(tcpPort), '0.0.0.0', ready);
const udp = createSocket('udp4');
udp.on('message', (_msg, rinfo) => udp.send(`${name} ${rinfo.address}\n`, rinfo.port, rinfo.address));
udp.bind(Number(udpPort), '0.0.0.0', ready);
