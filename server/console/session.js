// The console's session: the shared one (../ui/session.js), stored under the console's own key.
import { storeSessionAs } from '../ui/session.js';

storeSessionAs('stoa.console.session');

export * from '../ui/session.js';
