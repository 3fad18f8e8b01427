import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { startTransport } from './api/client';
import { i18n } from './i18n';
import { retryFailedPreloads } from './lib/preload-retry';

retryFailedPreloads(window);

// Before any store exists: stores subscribe to core events when they are created.
startTransport();

createApp(App).use(createPinia()).use(i18n).mount('#app');
