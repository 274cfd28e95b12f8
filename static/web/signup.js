// Progressive enhancement for the sign-up form: fill the hidden time zone field with the
// browser's own IANA zone, so lists sent at each reader's local time reach this reader at
// their morning. Without JavaScript the field stays empty and the list's zone applies.
document.addEventListener("DOMContentLoaded", function () {
  var field = document.querySelector('input[name="timezone"]');
  if (!field || field.value) return;
  try {
    field.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    field.value = "";
  }
});
