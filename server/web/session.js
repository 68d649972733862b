// The app's session: the shared one (../ui/session.js), stored under the app's own key.
import { storeSessionAs } from '../ui/session.js';

storeSessionAs('stoa.app.session');

export * from '../ui/session.js';
