/** Who a request is (authentication.k8s.io UserInfo). */
export interface UserInfo {
  username: string;
  uid: string;
  groups: string[];
}

/** Maps a bearer token to a user, or undefined when the token is unknown. */
export interface TokenAuthenticator {
  authenticate(token: string): UserInfo | undefined;
}
