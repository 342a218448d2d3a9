import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Database files hold password hashes, buyer names and (for the sandbox) plain secrets: they are
 * created 0600 inside a 0700 directory, and files made by an older version are tightened when
 * the app, a CLI or the sandbox opens them. Best effort on filesystems without POSIX modes.
 */

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

function tighten(target: string, mode: number): void {
  try {
    if ((statSync(target).mode & 0o777) !== mode) chmodSync(target, mode);
  } catch {
    // Missing file, or a filesystem (some bind mounts) that does not keep modes.
  }
}

/**
 * Creates `dir` (and parents) 0700, or tightens it when it exists; a shared sticky directory
 * such as /tmp is left alone (a database put straight into it is still 0600).
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  try {
    if ((statSync(dir).mode & 0o1000) !== 0) return;
  } catch {
    return;
  }
  tighten(dir, PRIVATE_DIR_MODE);
}

/**
 * Prepares a SQLite database path: its directory 0700, the file created empty with 0600 when
 * missing (SQLite gives its -wal and -shm files the database file's mode), and the file and any
 * -wal/-shm/-journal left by an earlier start tightened to 0600.
 */
export function preparePrivateDatabaseFile(filename: string): void {
  ensurePrivateDir(path.dirname(filename));
  if (!existsSync(filename)) closeSync(openSync(filename, 'a', PRIVATE_FILE_MODE));
  for (const suffix of ['', '-wal', '-shm', '-journal']) tighten(`${filename}${suffix}`, PRIVATE_FILE_MODE);
}

/** Tightens an existing secret file to 0600. */
export function tightenPrivateFile(file: string): void {
  tighten(file, PRIVATE_FILE_MODE);
}
