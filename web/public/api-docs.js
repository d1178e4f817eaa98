// Starts Swagger UI on /api/docs (a file, not an inline script: the
// Content-Security-Policy allows scripts from this origin only).
'use strict';
(function () {
  var root = document.getElementById('swagger-ui');
  window.ui = window.SwaggerUIBundle({
    url: root.getAttribute('data-spec-url'),
    domNode: root,
    deepLinking: true,
    // No badge from validator.swagger.io: the page loads nothing from elsewhere.
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    tryItOutEnabled: false,
  });
})();
