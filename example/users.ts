/**
 * The example's user "database": a few demo users with scrypt-hashed passwords. A real app keeps
 * these in its own database; the shape of the check (hash with the stored salt, compare in constant
 * time) is what carries over.
 */
import { randomBytes, scrypt, timingSafeEqual, type BinaryLike } from 'node:crypto';

export interface DemoUser {
  id: string;
  username: string;
  displayName: string;
  /** scrypt hash and its salt; the password itself is never kept. */
  passwordHash: Buffer;
  salt: Buffer;
}

/** Shown on the login page so anyone can try the example. Never ship demo credentials in a real app. */
export const DEMO_CREDENTIALS = [
  { username: 'alice', password: 'correct-horse', displayName: 'Alice Example', note: 'has a phone enrolled' },
  { username: 'bob', password: 'battery-staple', displayName: 'Bob Example', note: 'no phone yet: enrols on first login' },
] as const;

const KEY_LENGTH = 32;

function hash(password: BinaryLike, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export class UserDirectory {
  private readonly byUsername = new Map<string, DemoUser>();
  private readonly byId = new Map<string, DemoUser>();
  /** Hash of a throwaway password: unknown usernames cost as much as known ones, so timing reveals nothing. */
  private readonly decoy: Promise<DemoUser>;

  constructor() {
    const salt = randomBytes(16);
    this.decoy = hash(randomBytes(16), salt).then((passwordHash) => ({
      id: '',
      username: '',
      displayName: '',
      passwordHash,
      salt,
    }));
  }

  static async withDemoUsers(): Promise<UserDirectory> {
    const directory = new UserDirectory();
    for (const [index, demo] of DEMO_CREDENTIALS.entries()) {
      await directory.add(String(index + 1), demo.username, demo.displayName, demo.password);
    }
    return directory;
  }

  async add(id: string, username: string, displayName: string, password: string): Promise<DemoUser> {
    const salt = randomBytes(16);
    const user: DemoUser = { id, username, displayName, salt, passwordHash: await hash(password, salt) };
    this.byUsername.set(username, user);
    this.byId.set(id, user);
    return user;
  }

  findById(id: string): DemoUser | undefined {
    return this.byId.get(id);
  }

  findByUsername(username: string): DemoUser | undefined {
    return this.byUsername.get(username);
  }

  all(): DemoUser[] {
    return [...this.byId.values()];
  }

  /** The user when the password is right, else undefined. */
  async checkPassword(username: string, password: string): Promise<DemoUser | undefined> {
    const user = this.byUsername.get(username);
    const subject = user ?? (await this.decoy);
    const candidate = await hash(password, subject.salt);
    const matches = timingSafeEqual(candidate, subject.passwordHash);
    return user !== undefined && matches ? user : undefined;
  }
}

/** What the session and views see of a user: never the hash. */
export interface PublicUser {
  id: string;
  username: string;
  displayName: string;
}

export function publicUser(user: DemoUser): PublicUser {
  return { id: user.id, username: user.username, displayName: user.displayName };
}
