// Runs before each test file's imports: quiet Powertools (the security suite turns logs back on to
// search them), no EMF output, and no SDK warning about the host's Node version (Lambda runs 24).
process.env.POWERTOOLS_LOG_LEVEL ??= process.env.HUB_TEST_LOGS ? 'DEBUG' : 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
