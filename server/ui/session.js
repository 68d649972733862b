// The signed-in session of the app and the console: token in sessionStorage (survives a reload, never
// in a URL), one live socket. Each page names where its session is stored (storeSessionAs).
import { io } from '/socket.io/socket.io.esm.min.js';

let storageKey = 'stoa.session';
/** Tokens live JWT_TTL (1 h by default); renewing well before keeps the socket's reconnects working. */
const REFRESH_MS = 10 * 60 * 1000;

export const session = { token: null, user: null, socket: null };

/** The sessionStorage key of this page's session (the app's and the console's are kept apart); set before `restore`. */
export function storeSessionAs(key) {
  storageKey = key;
}
let refreshTimer;

export class RequestError extends Error {
  constructor(status, error) {
    super(error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = error?.code;
    this.retryAfterMs = error?.retryAfterMs;
  }
}

export async function http(method, path, body) {
  const headers = {};
  if (session.token) headers.authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 204) return {};
  const type = res.headers.get('content-type') ?? '';
  const data = type.includes('json') ? await res.json() : await res.text();
  if (!res.ok) {
    const error = new RequestError(res.status, data?.error);
    const retry = Number(res.headers.get('retry-after'));
    if (error.retryAfterMs === undefined && retry > 0) error.retryAfterMs = retry * 1000;
    throw error;
  }
  return data;
}

export async function login(username, password) {
  const { user, token } = await http('POST', '/api/auth/login', { username, password });
  save(token, user);
}

export async function register(username, password, displayName) {
  const body = { username, password };
  if (displayName) body.displayName = displayName;
  const { user, token } = await http('POST', '/api/auth/register', body);
  save(token, user);
}

/** Resumes a stored session; false when there is none or the server no longer accepts it. */
export async function restore() {
  const stored = sessionStorage.getItem(storageKey);
  if (!stored) return false;
  try {
    session.token = JSON.parse(stored).token;
    const { user } = await http('GET', '/api/me');
    save(session.token, user);
    return true;
  } catch {
    forget();
    return false;
  }
}

export async function logout() {
  try {
    if (session.token) await http('POST', '/api/auth/logout');
  } finally {
    forget();
  }
}

function save(token, user) {
  session.token = token;
  session.user = user;
  sessionStorage.setItem(storageKey, JSON.stringify({ token }));
  clearInterval(refreshTimer);
  refreshTimer = setInterval(refresh, REFRESH_MS);
}

async function refresh() {
  try {
    const { token } = await http('POST', '/api/auth/refresh');
    save(token, session.user);
  } catch {
    // The next reconnect or request reports it.
  }
}

export function forget() {
  clearInterval(refreshTimer);
  session.socket?.close();
  session.socket = null;
  session.token = null;
  session.user = null;
  sessionStorage.removeItem(storageKey);
}

/** Connects the live socket; the token is read at each (re)connect so a refreshed one is used. */
export function connect({ onState, onRejected }) {
  const socket = io({ auth: (cb) => cb({ token: session.token }), transports: ['websocket', 'polling'] });
  socket.on('connect', () => onState('up'));
  socket.on('disconnect', (reason) => onState(reason === 'io client disconnect' ? 'closed' : 'down'));
  socket.on('connect_error', (err) => {
    onState('down');
    if (err.message === 'unauthorized' || err.message === 'suspended') onRejected(err.message);
  });
  session.socket = socket;
  return socket;
}

/** Emits a client event; resolves with the result, rejects with the server's error. */
export function call(event, input, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    if (!session.socket) return reject({ code: 'unauthorized', message: 'Not signed in.' });
    session.socket.timeout(timeoutMs).emit(event, input, (timeout, ack) => {
      if (timeout) reject({ code: 'timeout', message: 'The server did not answer in time.' });
      else if (ack.ok) resolve(ack);
      else reject(ack.error);
    });
  });
}

/** Platform staff: moderators, and admins (who are moderators too). */
export const isPlatformModerator = () => session.user?.role === 'moderator' || session.user?.role === 'admin';
export const isPlatformAdmin = () => session.user?.role === 'admin';
