// Sign-in to the console with the API's own login; drivers are turned away, and their sign-in is ended at once.
import { clearAuth, consolePath, currentAuth, homeOf, isStaff, problemOf, storeTokens } from "./shell.js";

const form = document.getElementById("sign-in-form");
const error = document.getElementById("sign-in-error");

function next(role) {
  const wanted = new URLSearchParams(location.search).get("next") || "";
  return wanted.startsWith(`${consolePath}/`) && !wanted.startsWith("//") ? wanted : homeOf(role);
}

function fail(text) {
  error.textContent = text;
  error.hidden = false;
}

const signedIn = currentAuth();
if (signedIn && signedIn.profile && isStaff(signedIn.profile.role) && signedIn.expiresAt > Date.now()) {
  location.replace(next(signedIn.profile.role));
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const email = form.email.value.trim();
  const password = form.password.value;
  if (!email || !password) {
    fail("Enter your email and password.");
    (email ? form.password : form.email).focus();
    return;
  }
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const login = await fetch("/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ email, password }),
    });
    if (!login.ok) {
      const problem = await problemOf(login);
      fail(login.status === 401 ? "The email or the password is wrong." : (problem && problem.detail) || "Sign-in failed.");
      return;
    }
    const pair = await login.json();
    const me = await fetch("/v1/me", { headers: { authorization: `Bearer ${pair.accessToken}`, accept: "application/json" } });
    const profile = me.ok ? await me.json() : null;
    if (!profile || !isStaff(profile.role)) {
      await fetch("/v1/auth/logout", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refreshToken: pair.refreshToken }),
      });
      clearAuth();
      fail("This console is for support staff. Drivers get help in the Voltway app.");
      return;
    }
    storeTokens(pair, { id: profile.id, name: profile.name, email: profile.email, role: profile.role });
    location.assign(next(profile.role));
  } catch {
    fail("The server cannot be reached. Try again.");
  } finally {
    button.disabled = false;
  }
});
form.email.focus();
