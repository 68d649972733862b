/** The embedded database: mongoose works against it, and it never outlives the server that started it. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import mongoose, { Schema } from 'mongoose';

import { startNode } from './support/cluster';
import { sleep } from './support/harness';

describe('mongoose against the embedded database', () => {
  const connection = mongoose.createConnection(process.env.STOA_TEST_MONGODB_URI!, { dbName: 'test_embedded_db' });
  const Item = connection.model(
    'Item',
    new Schema({ name: { type: String, required: true }, rank: Number }).index({ name: 1 }, { unique: true }),
  );

  beforeAll(() => Item.createIndexes());
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  test('a unique-index violation arrives as a duplicate-key error (E11000)', async () => {
    await Item.create({ name: 'only', rank: 1 });
    await expect(Item.create({ name: 'only', rank: 2 })).rejects.toMatchObject({ code: 11000 });
    expect(await Item.countDocuments({ name: 'only' })).toBe(1);
  });

  test('find by field with sort and limit', async () => {
    await Item.insertMany([3, 1, 4, 5, 9, 2, 6].map((rank) => ({ name: `n${rank}`, rank })));
    const top = await Item.find({ rank: mongoose.trusted({ $gte: 2 }) })
      .sort({ rank: -1 })
      .limit(3)
      .lean();
    expect(top.map((item) => item.rank)).toEqual([9, 6, 5]);
  });
});

describe('the embedded database process', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'stoa-orphan-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  test('stops when the server that started it is killed outright (no orphan)', async () => {
    const node = await startNode({ DATA_DIR: dataDir, JWT_SECRET: 'orphan-test-secret-0123456789abcdef0123' });
    const serverPid = node.process.pid!;
    const dbPid = Number(
      execFileSync('pgrep', ['-P', String(serverPid), '-f', 'stoa-db'])
        .toString()
        .trim(),
    );
    expect(dbPid).toBeGreaterThan(0);
    expect((await fetch(`${node.url}/readyz`)).status).toBe(200);

    node.process.kill('SIGKILL');
    const deadline = Date.now() + 5000;
    while (existsSync(`/proc/${dbPid}`) && Date.now() < deadline) await sleep(50);
    expect(existsSync(`/proc/${dbPid}`)).toBe(false);
  }, 30_000);
});
