import type { Locale } from './locale';

/**
 * Every string the UI renders, in English and Korean. Keys are `area.thing`; `{name}` is a
 * parameter filled by `t(key, { name })`. Korean must have every English key (the type says so).
 */
const en = {
  'app.name': 'Iamport payment monitor',
  'app.tagline': 'Every redirect and webhook recorded raw, verified against the gateway, and reconciled until settled.',

  'nav.label': 'Main',
  'nav.overview': 'Overview',
  'nav.payments': 'Payments',
  'nav.attention': 'Attention',
  'nav.runs': 'Runs',
  'nav.stores': 'Stores',
  'nav.audit': 'Audit',
  'nav.users': 'Users',

  'role.viewer': 'Viewer',
  'role.operator': 'Operator',
  'role.admin': 'Admin',

  'shell.skipToContent': 'Skip to content',
  'shell.signedInAs': 'Signed in as',
  'shell.signOut': 'Sign out',
  'shell.signingOut': 'Signing out…',
  'shell.language': 'Language',
  'shell.switchLanguage': 'Switch',
  'lang.en': 'English',
  'lang.ko': '한국어',

  'flash.dismiss': 'Dismiss',
  'form.saving': 'Saving…',
  'form.required': 'Required',

  'login.title': 'Sign in',
  'login.intro': 'Sign in with the account an admin created for you.',
  'login.email': 'Email',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.submitting': 'Signing in…',
  'login.invalid': 'The email or password is not correct.',
  'login.throttled': 'Too many failed sign-ins. Try again in {minutes} min.',
  'login.signedOut': 'You have signed out.',
  'login.firstAdminHint': 'First start? The admin account and its password are in the server log (or set ADMIN_EMAIL and ADMIN_PASSWORD).',

  'overview.title': 'Overview',
  'overview.emptyTitle': 'No data yet',
  'overview.emptyBody':
    'Nothing to show until payments arrive. Register an order through the orders API, or pay in the sandbox demo shop, then come back here.',
  'overview.emptyAction': 'See the payments log',

  'users.title': 'Users',
  'users.intro': 'Who can sign in, and what they may do. Viewers read; operators re-check and resolve orders; admins also manage stores, users and cancellations.',
  'users.createTitle': 'Add a user',
  'users.email': 'Email',
  'users.role': 'Role',
  'users.password': 'Initial password',
  'users.passwordHint': 'Leave empty to generate one. At least {min} characters.',
  'users.create': 'Add user',
  'users.creating': 'Adding…',
  'users.created': 'User {email} added.',
  'users.generatedTitle': 'Password for {email}',
  'users.generatedBody': 'Shown once. Copy it now and hand it over safely; it cannot be displayed again.',
  'users.colEmail': 'Email',
  'users.colRole': 'Role',
  'users.colStatus': 'Status',
  'users.colLastSignIn': 'Last sign-in',
  'users.colSessions': 'Sessions',
  'users.colActions': 'Actions',
  'users.active': 'Active',
  'users.disabled': 'Disabled',
  'users.never': 'Never',
  'users.you': 'you',
  'users.changeRole': 'Change',
  'users.disable': 'Disable',
  'users.enable': 'Enable',
  'users.revoke': 'Sign out everywhere',
  'users.roleChanged': '{email} is now {role}.',
  'users.disabledDone': '{email} is disabled and signed out.',
  'users.enabledDone': '{email} can sign in again.',
  'users.revokedDone': '{count} session(s) of {email} ended.',
  'users.emptyTitle': 'No users',
  'users.emptyBody': 'Add the first colleague with the form above.',
  'users.error.invalid_email': 'Enter a valid email address.',
  'users.error.weak_password': 'The password needs at least {min} characters.',
  'users.error.email_taken': 'A user with this email already exists.',
  'users.error.not_found': 'That user no longer exists.',
  'users.error.last_admin': 'This is the last enabled admin. Make someone else an admin first.',
  'users.error.self': 'You cannot disable your own account.',
  'users.error.bad_input': 'The form was incomplete. Reload the page and try again.',

  'error.title': 'Something went wrong',
  'error.status': 'Error {status}',
  'error.forbidden': 'You do not have permission for this.',
  'error.role': 'This needs the {role} role. Ask an admin if you need it.',
  'error.csrf_missing': 'The form is missing its security token. Reload the page and try again.',
  'error.csrf_invalid': 'The form has expired or did not come from this site. Reload the page and try again.',
  'error.notFound': 'There is no page here.',
  'error.rateLimited': 'Too many requests. Wait a moment and try again.',
  'error.tooLarge': 'The form is too large.',
  'error.badRequest': 'The request could not be understood.',
  'error.generic': 'An unexpected error happened. It has been logged; try again in a moment.',
  'error.home': 'Back to the overview',

  'time.zone': 'KST',
} as const;

export type MessageKey = keyof typeof en;

const ko: Record<MessageKey, string> = {
  'app.name': '아임포트 결제 모니터',
  'app.tagline': '모든 리디렉션과 웹훅을 원본 그대로 기록하고, 결제사에 검증하며, 확정될 때까지 대사합니다.',

  'nav.label': '주 메뉴',
  'nav.overview': '개요',
  'nav.payments': '결제 내역',
  'nav.attention': '확인 필요',
  'nav.runs': '대사 실행',
  'nav.stores': '상점',
  'nav.audit': '감사 로그',
  'nav.users': '사용자',

  'role.viewer': '조회자',
  'role.operator': '운영자',
  'role.admin': '관리자',

  'shell.skipToContent': '본문으로 건너뛰기',
  'shell.signedInAs': '로그인 계정',
  'shell.signOut': '로그아웃',
  'shell.signingOut': '로그아웃 중…',
  'shell.language': '언어',
  'shell.switchLanguage': '변경',
  'lang.en': 'English',
  'lang.ko': '한국어',

  'flash.dismiss': '닫기',
  'form.saving': '저장 중…',
  'form.required': '필수',

  'login.title': '로그인',
  'login.intro': '관리자가 만들어 준 계정으로 로그인하세요.',
  'login.email': '이메일',
  'login.password': '비밀번호',
  'login.submit': '로그인',
  'login.submitting': '로그인 중…',
  'login.invalid': '이메일 또는 비밀번호가 올바르지 않습니다.',
  'login.throttled': '로그인 실패가 너무 많습니다. {minutes}분 후에 다시 시도하세요.',
  'login.signedOut': '로그아웃했습니다.',
  'login.firstAdminHint': '처음 시작했나요? 관리자 계정과 비밀번호는 서버 로그에 있습니다(또는 ADMIN_EMAIL, ADMIN_PASSWORD를 설정하세요).',

  'overview.title': '개요',
  'overview.emptyTitle': '아직 데이터가 없습니다',
  'overview.emptyBody': '결제가 들어오면 여기에 표시됩니다. 주문 API로 주문을 등록하거나 샌드박스 데모 상점에서 결제한 뒤 다시 확인하세요.',
  'overview.emptyAction': '결제 내역 보기',

  'users.title': '사용자',
  'users.intro': '로그인할 수 있는 사람과 권한입니다. 조회자는 보기만, 운영자는 주문 재확인과 해결, 관리자는 상점·사용자 관리와 결제 취소까지 할 수 있습니다.',
  'users.createTitle': '사용자 추가',
  'users.email': '이메일',
  'users.role': '역할',
  'users.password': '초기 비밀번호',
  'users.passwordHint': '비워 두면 자동으로 생성합니다. 최소 {min}자.',
  'users.create': '사용자 추가',
  'users.creating': '추가 중…',
  'users.created': '{email} 사용자를 추가했습니다.',
  'users.generatedTitle': '{email}의 비밀번호',
  'users.generatedBody': '한 번만 표시됩니다. 지금 복사해서 안전하게 전달하세요. 다시 볼 수 없습니다.',
  'users.colEmail': '이메일',
  'users.colRole': '역할',
  'users.colStatus': '상태',
  'users.colLastSignIn': '마지막 로그인',
  'users.colSessions': '세션',
  'users.colActions': '작업',
  'users.active': '사용 중',
  'users.disabled': '사용 중지',
  'users.never': '없음',
  'users.you': '나',
  'users.changeRole': '변경',
  'users.disable': '사용 중지',
  'users.enable': '다시 사용',
  'users.revoke': '모든 기기에서 로그아웃',
  'users.roleChanged': '{email}의 역할이 {role}(으)로 바뀌었습니다.',
  'users.disabledDone': '{email} 계정을 사용 중지하고 로그아웃시켰습니다.',
  'users.enabledDone': '{email} 계정이 다시 로그인할 수 있습니다.',
  'users.revokedDone': '{email}의 세션 {count}개를 종료했습니다.',
  'users.emptyTitle': '사용자가 없습니다',
  'users.emptyBody': '위 양식으로 첫 동료를 추가하세요.',
  'users.error.invalid_email': '올바른 이메일 주소를 입력하세요.',
  'users.error.weak_password': '비밀번호는 최소 {min}자여야 합니다.',
  'users.error.email_taken': '이 이메일을 쓰는 사용자가 이미 있습니다.',
  'users.error.not_found': '해당 사용자가 더 이상 없습니다.',
  'users.error.last_admin': '사용 중인 마지막 관리자입니다. 먼저 다른 사람을 관리자로 지정하세요.',
  'users.error.self': '자신의 계정은 사용 중지할 수 없습니다.',
  'users.error.bad_input': '양식이 완전하지 않습니다. 페이지를 새로 고친 뒤 다시 시도하세요.',

  'error.title': '문제가 발생했습니다',
  'error.status': '오류 {status}',
  'error.forbidden': '이 작업을 할 권한이 없습니다.',
  'error.role': '{role} 역할이 필요합니다. 필요하면 관리자에게 요청하세요.',
  'error.csrf_missing': '양식에 보안 토큰이 없습니다. 페이지를 새로 고친 뒤 다시 시도하세요.',
  'error.csrf_invalid': '양식이 만료되었거나 이 사이트에서 보낸 것이 아닙니다. 페이지를 새로 고친 뒤 다시 시도하세요.',
  'error.notFound': '이 주소에는 페이지가 없습니다.',
  'error.rateLimited': '요청이 너무 많습니다. 잠시 후 다시 시도하세요.',
  'error.tooLarge': '양식이 너무 큽니다.',
  'error.badRequest': '요청을 이해할 수 없습니다.',
  'error.generic': '예상하지 못한 오류가 발생했습니다. 기록해 두었으니 잠시 후 다시 시도하세요.',
  'error.home': '개요로 돌아가기',

  'time.zone': 'KST',
};

export const messages: Record<Locale, Record<MessageKey, string>> = { en, ko };

export function isMessageKey(value: unknown): value is MessageKey {
  return typeof value === 'string' && Object.hasOwn(en, value);
}

export type MessageParams = Record<string, string | number>;

/** The message in `locale` with `{name}` parameters filled; a missing parameter stays visible as `{name}`. */
export function translate(locale: Locale, key: MessageKey, params?: MessageParams): string {
  const template = messages[locale][key];
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
}
