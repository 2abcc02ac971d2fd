from django.urls import include, path

app_name = "sandbox"

urlpatterns = [
    path("ghl/", include("sandbox.ghl.urls")),
    path("yourapp/", include("sandbox.yourapp.urls")),
    path("timetonic/", include("sandbox.timetonic.urls")),
    path("timify/", include("sandbox.timify.urls")),
    path("ptdistinction/", include("sandbox.ptdistinction.urls")),
    path("timetopet/", include("sandbox.timetopet.urls")),
]
