import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { i18n } from './i18n';

// Screen readers and hyphenation go by the page's language, which is the one we picked.
document.documentElement.lang = i18n.global.locale.value;

createApp(App).use(createPinia()).use(i18n).mount('#app');
