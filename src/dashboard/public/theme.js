/* global window, document */
// Set the colour theme before the first paint (saved choice, else the system preference).
(function () {
  var t = null;
  try {
    t = window.localStorage.getItem('atp-siem.theme');
  } catch {
    t = null;
  }
  if (t !== 'dark' && t !== 'light') {
    t = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  }
  document.documentElement.setAttribute('data-theme', t);
})();
