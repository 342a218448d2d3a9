// The baseline of the webhook benchmark: node:http plus one better-sqlite3 insert per request,
// in its own process like the app. Usage: node bare-insert-server.mjs <db-file>
import Database from 'better-sqlite3';
import { createServer } from 'node:http';

const db = new Database(process.argv[2]);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('create table if not exists delivery (id integer primary key, received_at text not null, body text not null)');
const insert = db.prepare('insert into delivery (received_at, body) values (?, ?)');

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const info = insert.run(new Date().toISOString(), Buffer.concat(chunks).toString('utf8'));
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ok: true, delivery_id: Number(info.lastInsertRowid) }));
  });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'listening', port: server.address().port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
