/** The body of `GET http://127.0.0.1:<port><path>`, on a fresh connection (nothing lingers). */
import { get } from 'node:http';

export function fetchText(port: number, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}
