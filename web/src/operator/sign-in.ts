// Signing in with an operator token (kept in this tab's sessionStorage, so a
// reload stays signed in) and out again; the operator's name in the top bar.
import { byId } from '../dom.ts';
import { ApiError, OperatorApi } from './api.ts';
import type { Session } from './session.ts';

const TOKEN_KEY = 'kongwei.operatorToken';

export interface SignInHandlers {
  /** The workspace shows: load the operator's lots. */
  signedIn(): Promise<void>;
  /** The session is over: put the views back as they were. */
  signedOut(): void;
}

export class SignIn {
  private readonly section = byId('sign-in');
  private readonly form = byId<HTMLFormElement>('sign-in-form');
  private readonly tokenInput = byId<HTMLInputElement>('token-input');
  private readonly error = byId('sign-in-error');
  private readonly workspace = byId('workspace');
  private readonly who = byId('who');
  private readonly signOutButton = byId<HTMLButtonElement>('sign-out');

  constructor(
    private readonly session: Session,
    private readonly handlers: SignInHandlers,
  ) {
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.error.textContent = '';
      const token = this.tokenInput.value.trim();
      if (token) void this.start(token);
    });
    this.signOutButton.addEventListener('click', () => this.signOut());
  }

  /** Signs in again with the token of this tab, if there is one. */
  resume(): void {
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) void this.start(saved);
  }

  /** The operator's name, in the page's language. */
  translate(): void {
    const { me, s } = this.session;
    if (me) this.who.textContent = s.signedInAs(me.operator.name, me.operator.role === 'admin');
  }

  signOut(message = ''): void {
    sessionStorage.removeItem(TOKEN_KEY);
    this.session.end();
    this.handlers.signedOut();
    this.workspace.hidden = true;
    this.signOutButton.hidden = true;
    this.section.hidden = false;
    this.who.textContent = '';
    this.tokenInput.value = '';
    this.error.textContent = message;
  }

  private async start(token: string): Promise<boolean> {
    const candidate = new OperatorApi(token, () => this.session.lang);
    const me = await candidate.me().catch((err: unknown) => {
      const { s } = this.session;
      this.error.textContent = err instanceof ApiError && err.status === 429 ? s.rateLimited(err.retryAfterS) : err instanceof ApiError && err.status === 0 ? s.networkError : s.badToken;
      return undefined;
    });
    if (!me) return false;
    sessionStorage.setItem(TOKEN_KEY, token);
    this.section.hidden = true;
    this.workspace.hidden = false;
    this.signOutButton.hidden = false;
    this.session.begin(candidate, me);
    this.translate();
    await this.handlers.signedIn();
    return true;
  }
}
