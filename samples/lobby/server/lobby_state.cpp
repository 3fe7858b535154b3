// Lobby::save / Lobby::load: the rooms as JSON, for --state-file restarts.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "lobby.h"

namespace lobby {

std::string Lobby::save() const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("nextRoomId");
  w.Uint(next_room_id_);
  w.Key("rooms");
  w.StartArray();
  for (const auto& entry : rooms_) {
    const Room& room = entry.second;
    w.StartObject();
    w.Key("id");
    w.Uint(room.id);
    w.Key("name");
    w.String(room.name.c_str());
    w.Key("capacity");
    w.Uint(room.capacity);
    w.Key("host");
    w.String(room.host.c_str());
    w.Key("started");
    w.Bool(room.started);
    w.Key("members");
    w.StartArray();
    for (const std::string& member : room.members) {
      w.StartObject();
      w.Key("user");
      w.String(member.c_str());
      w.Key("ready");
      w.Bool(room.ready.at(member));
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buffer.GetString();
}

bool Lobby::load(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("rooms") || !doc["rooms"].IsArray() ||
      !doc.HasMember("nextRoomId") || !doc["nextRoomId"].IsUint()) {
    return false;
  }
  std::map<uint32_t, Room> rooms;
  std::map<std::string, uint32_t> room_by_user;
  for (const auto& r : doc["rooms"].GetArray()) {
    if (!r.IsObject() || !r.HasMember("id") || !r["id"].IsUint() || !r.HasMember("name") || !r["name"].IsString() ||
        !r.HasMember("capacity") || !r["capacity"].IsUint() || !r.HasMember("host") || !r["host"].IsString() ||
        !r.HasMember("started") || !r["started"].IsBool() || !r.HasMember("members") || !r["members"].IsArray()) {
      return false;
    }
    Room room;
    room.id = r["id"].GetUint();
    room.name = r["name"].GetString();
    room.capacity = r["capacity"].GetUint();
    room.host = r["host"].GetString();
    room.started = r["started"].GetBool();
    for (const auto& m : r["members"].GetArray()) {
      if (!m.IsObject() || !m.HasMember("user") || !m["user"].IsString() || !m.HasMember("ready") ||
          !m["ready"].IsBool()) {
        return false;
      }
      room.members.push_back(m["user"].GetString());
      room.ready[room.members.back()] = m["ready"].GetBool();
      room_by_user[room.members.back()] = room.id;
    }
    rooms[room.id] = std::move(room);
  }
  rooms_ = std::move(rooms);
  room_by_user_ = std::move(room_by_user);
  next_room_id_ = doc["nextRoomId"].GetUint();
  return true;
}

}  // namespace lobby
